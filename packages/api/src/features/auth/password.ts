import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { createWorkGate, GateFullError } from '../../lib/work-gate.ts';

/** OWASP's argon2id baseline: m=19 MiB, t=2, p=1. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const COMMON_PASSWORDS = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#')),
);

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}

/** The policy for new passwords. Whether it equals the email is checked where both are known. */
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`)
  .refine((password) => !isCommonPassword(password), 'This password is too common; choose another.');

export function passwordResemblesEmail(password: string, email: string): boolean {
  const p = password.trim().toLowerCase();
  const e = email.trim().toLowerCase();
  return p === e || p === e.split('@')[0];
}

/**
 * argon2 is built to eat a core and 19 MiB per call: a login flood must not take every core (and
 * every libuv thread) from the requests around it. One core stays free for the event loop; past
 * the queue, callers are told the server is busy (ADR 050).
 */
const hashing = createWorkGate({ concurrency: Math.max(1, availableParallelism() - 1), queueMax: 256 });

async function argon2Work<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await hashing.run(work);
  } catch (error) {
    if (error instanceof GateFullError) throw new AppError('SERVICE_UNAVAILABLE', 'server_busy', 'The server is busy. Try again in a moment.');
    throw error;
  }
}

/** How many password hashes run and wait now (for metrics). */
export const passwordHashingStats = () => hashing.stats();

const computed = { hash: 0, verify: 0 };

/**
 * argon2 computations finished since start, per operation. Equal work on every path (a dummy
 * verification for an unknown email, a hash for a taken one) is what keeps those paths from
 * telling accounts apart: tests count it here rather than timing responses.
 */
export const passwordComputations = (): Readonly<typeof computed> => ({ ...computed });

export function hashPassword(password: string): Promise<string> {
  return argon2Work(() => argon2.hash(password, ARGON2_OPTIONS)).finally(() => computed.hash++);
}

/** A null hash (an account that signs in only through a provider) matches nothing, after the same work. */
export function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) return verifyAgainstDummy(password);
  return argon2Work(() => argon2.verify(hash, password).catch(() => false)).finally(() => computed.verify++);
}

export function passwordNeedsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/** Spends the same work as a real verification, so unknown emails answer in similar time. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('dummy password that never matches anything');
  await verifyPassword(await dummyHash, password);
  return false;
}
