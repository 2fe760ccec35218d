import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/server.ts';
import { signUp } from '../../../test/helpers/users.ts';
import type { Digest } from '../src/digest.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.ts');

let server: TestServer;
let owner: Awaited<ReturnType<typeof signUp>>;
let outputDir: string;

/** The service as cron would start it: its own process, configured from its environment only. */
function runService(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', MAIN], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The credential the service is given: as deployed, an API key with only `contacts:read`. */
async function credentialEnv(): Promise<Record<string, string>> {
  const { key } = await owner.client.apiKeys.create.mutate({ name: 'nightly digest', scopes: ['contacts:read'] });
  return { BASTION_API_KEY: key };
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await signUp(server, 'Digest Owner');
  // 120 imported in one transaction (one created_at), then 3 added one by one: the three newest.
  await owner.client.contacts.importMany.mutate({
    contacts: Array.from({ length: 120 }, (_, i) => ({ name: `Imported ${i}`, tags: i % 3 === 0 ? ['customer', 'vip'] : ['customer'] })),
  });
  for (const name of ['Newest C', 'Newest B', 'Newest A']) await owner.client.contacts.create.mutate({ name, email: `${name.at(-1)?.toLowerCase()}@example.com`, company: 'Acme' });
  // Someone else's contact never appears in the owner's digest.
  const stranger = await signUp(server, 'Stranger');
  await stranger.client.contacts.create.mutate({ name: 'Not Yours' });
  outputDir = mkdtempSync(path.join(tmpdir(), 'bastion-digest-'));
});

afterAll(async () => {
  rmSync(outputDir, { recursive: true, force: true });
  await server.close();
});

describe('the contacts digest service', () => {
  it('pages through every contact of the owner and writes the digest', async () => {
    const outputPath = path.join(outputDir, 'digest.json');

    const run = await runService({ BASTION_URL: server.url, ...(await credentialEnv()), DIGEST_NEWEST: '3', DIGEST_OUTPUT: outputPath });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const digest = JSON.parse(readFileSync(outputPath, 'utf8')) as Digest;
    expect(digest.total).toBe(123);
    expect(digest.newest.map((contact) => contact.name)).toEqual(['Newest A', 'Newest B', 'Newest C']);
    expect(digest.topTags).toEqual([
      { tag: 'customer', count: 120 },
      { tag: 'vip', count: 40 },
    ]);
    expect(run.stdout).toContain(': 123 contacts');
    expect(run.stdout).toContain('  - Newest A (a@example.com, Acme), added ');
    expect(run.stdout).not.toContain('Not Yours');
  });

  it('fails with exit 1 and the server’s request id when the credential is refused', async () => {
    const run = await runService({ BASTION_URL: server.url, BASTION_API_KEY: 'bst_00000000_not-a-real-key' });

    expect(run.code).toBe(1);
    const requestId = /request id (\S+):/.exec(run.stderr)?.[1];
    expect(run.stderr).toContain('digest failed: UNAUTHORIZED');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The id the service reports is the one the server logged for that call.
    expect(server.logs.some((line) => line.includes(`"requestId":"${requestId}"`))).toBe(true);
    expect(run.stderr).not.toContain('not-a-real-key');
  });

  it('refuses to start without its configuration (exit 2)', async () => {
    const run = await runService({});

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('BASTION_URL must be the API base URL');
    expect(run.stderr).toContain('set BASTION_API_KEY');
  });
});
