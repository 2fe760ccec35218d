import postgres from 'postgres';
import { PoolTimeoutError } from './pool-gate.ts';

/** Drizzle wraps driver errors (DrizzleQueryError); walk the cause chain to the Postgres error. */
export function postgresErrorOf(error: unknown): postgres.PostgresError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof postgres.PostgresError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Connection-level failures from postgres.js (no SQLSTATE): refused, reset, closed, timed out. */
export function connectionErrorOf(error: unknown): { code: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return { code };
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** The pool gate's refusal, possibly wrapped by Drizzle. */
export function poolTimeoutOf(error: unknown): PoolTimeoutError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof PoolTimeoutError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
