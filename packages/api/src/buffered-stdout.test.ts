import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOG_FLUSH_INTERVAL_MS } from './logging.ts';

const logging = fileURLToPath(new URL('./logging.ts', import.meta.url));

/** Runs `body` in a child process with `logger` (bufferedStdout) in scope; resolves with each stdout chunk and when it came. */
function child(body: string): Promise<{ chunks: { at: number; text: string }[]; code: number | null }> {
  const script = `import { bufferedStdout, createLogger } from ${JSON.stringify(logging)};
const logger = createLogger({ level: 'info', destination: bufferedStdout() });
${body}`;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const process_ = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: { at: number; text: string }[] = [];
    process_.stdout.on('data', (data: Buffer) => chunks.push({ at: Date.now() - started, text: data.toString() }));
    process_.on('error', reject);
    process_.on('close', (code) => resolve({ chunks, code }));
  });
}

const lines = (chunks: { text: string }[]) =>
  chunks
    .map((chunk) => chunk.text)
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('bufferedStdout', () => {
  it('writes a quiet process’s line within the flush interval, long before it exits', async () => {
    const { chunks, code } = await child(`logger.info('ready'); setTimeout(() => { logger.info('later'); }, 1500);`);
    expect(code).toBe(0);
    expect(lines(chunks)).toEqual(['ready', 'later']);
    // The first line came on its own, a second and more before the second was logged.
    expect(chunks[0]!.text).toContain('"ready"');
    expect(chunks[0]!.text).not.toContain('"later"');
    expect(chunks[1]!.at - chunks[0]!.at).toBeGreaterThan(1000);
  });

  it('coalesces lines logged one at a time (a paced load) into a few writes', async () => {
    // 30 lines 10 ms apart: unbuffered, each is its own write (and nearly always its own chunk here).
    const { chunks } = await child(`let i = 0; const timer = setInterval(() => { logger.info({ i }, 'line ' + i); if (++i === 30) clearInterval(timer); }, 10);`);
    expect(lines(chunks)).toEqual(Array.from({ length: 30 }, (_, i) => `line ${i}`));
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(300 / LOG_FLUSH_INTERVAL_MS) + 3);
  });

  it('flushes what is buffered when the process exits', async () => {
    const { chunks, code } = await child(`logger.info('last words'); process.exit(3);`);
    expect(code).toBe(3);
    expect(lines(chunks)).toEqual(['last words']);
  });
});
