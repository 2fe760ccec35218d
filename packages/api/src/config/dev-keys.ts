import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let warned = false;

/**
 * Development without ENCRYPTION_KEYS: a key of this checkout's own, generated into the data
 * directory once, rather than one published in the source — what a developer seals locally
 * (2FA secrets, provider tokens) is then not readable by anyone with the repository. Returned
 * first in a ring before `legacy`, so data sealed under the old shared development key still reads
 * (and `pnpm keys:rotate` moves it over).
 */
export function developmentEncryptionKeys(dataDir: string, legacy: string): string {
  const file = path.join(dataDir, 'encryption-keys');
  let line = readKey(file);
  if (!line) {
    mkdirSync(dataDir, { recursive: true });
    const candidate = `local:${randomBytes(32).toString('base64')}`;
    // Written aside and linked into place: the API and the worker start together, and a link
    // either wins or finds the other's complete file — never a half-written one.
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, `${candidate}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
    line = readKey(file) ?? candidate;
  }
  if (!warned) {
    warned = true;
    console.warn(`ENCRYPTION_KEYS is not set: using the development key in ${file} (generated once for this checkout; production refuses to start without ENCRYPTION_KEYS)`);
  }
  return `${line},${legacy}`;
}

function readKey(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
