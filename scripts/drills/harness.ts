// What the fault drills share: a PostgreSQL of their own that they can stop and start, the real
// server as a child process, a user through the API, and timed HTTP calls that never hang.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { runMigrations } from '@bastion/db';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@bastion/db/embedded';
import { startServerProcess, type ServerProcess } from '../../test/helpers/process.ts';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/server.ts';

export class DrillFailed extends Error {}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DrillFailed(message);
}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An embedded PostgreSQL the drill may stop and start again on the same port and data. */
export interface DrillDatabase {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function drillDatabase(): Promise<DrillDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bastion-drill-'));
  const port = await freePort();
  const dataDir = path.join(dir, 'pg');
  let handle: EmbeddedPostgresHandle | undefined = await startEmbeddedPostgres({ dataDir, port, persistent: true });
  const admin = postgres(handle.url, { max: 1, onnotice: () => {} });
  await admin`create database drill`;
  await admin.end();
  const url = new URL(handle.url);
  url.pathname = '/drill';
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    async stop() {
      await handle?.stop();
      handle = undefined;
    },
    async start() {
      handle ??= await startEmbeddedPostgres({ dataDir, port, persistent: true });
    },
    async close() {
      await handle?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  ms: number;
  reason?: string;
  body?: unknown;
  /** The client gave up: the server did not answer within the call's timeout. */
  hung?: boolean;
}

/** One HTTP call with a hard client timeout, reporting status, duration and the error reason. */
export async function call(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const reason = (body as { error?: { data?: { reason?: string } } })?.error?.data?.reason;
    return { status: response.status, ms: performance.now() - started, ...(reason ? { reason } : {}), body };
  } catch (error) {
    const hung = (error as Error).name === 'TimeoutError';
    return { status: 0, ms: performance.now() - started, hung, reason: hung ? 'client_timeout' : (error as Error).message };
  }
}

export interface DrillUser {
  email: string;
  accessToken: string;
  authorization: Record<string, string>;
}

export async function signUp(server: { url: string }): Promise<DrillUser> {
  const email = uniqueEmail('drill');
  const json = { 'content-type': 'application/json' };
  const registered = await call(`${server.url}/trpc/auth.register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: STRONG_PASSWORD, name: 'Drill' }) });
  check(registered.status === 200, `register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await call(`${server.url}/trpc/auth.login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' }) });
  const accessToken = (login.body as { result?: { data?: { accessToken?: string } } }).result?.data?.accessToken;
  check(login.status === 200 && accessToken, `login: ${login.status} ${JSON.stringify(login.body)}`);
  return { email, accessToken, authorization: { authorization: `Bearer ${accessToken}` } };
}

export function trpcGet(server: { url: string }, path: string, input: unknown, headers: Record<string, string> = {}, timeoutMs?: number) {
  return call(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers }, timeoutMs);
}

export function trpcPost(server: { url: string }, path: string, input: unknown, headers: Record<string, string> = {}, timeoutMs?: number) {
  return call(`${server.url}/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) }, timeoutMs);
}

/** Waits until `predicate` holds (checked every 100 ms); returns how long it took, or fails at `withinMs`. */
export async function within(withinMs: number, what: string, predicate: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await predicate()) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new DrillFailed(`${what}: not within ${withinMs} ms`);
    await sleep(100);
  }
}

export async function startDrillServer(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({ LOG_LEVEL: 'info', ...env });
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export const summary = (answers: Answer[]) => {
  const byStatus = new Map<string, number>();
  for (const answer of answers) {
    const key = `${answer.status}${answer.reason ? ` ${answer.reason}` : ''}`;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  return [...byStatus].map(([key, count]) => `${count}× ${key}`).join(', ');
};
