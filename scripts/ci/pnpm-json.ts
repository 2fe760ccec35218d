import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The repository root, so the checks run the same from any directory. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function readJson<T>(relativePath: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../../${relativePath}`, import.meta.url), 'utf8')) as T;
}

/** Runs pnpm and returns its stdout and exit code; pnpm exits non-zero with JSON on stdout for some commands. */
export function pnpm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('pnpm', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
