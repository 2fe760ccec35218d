import pino, { type DestinationStream, type Logger } from 'pino';
import { postgresErrorOf } from '@bastion/db';
import { traceLogFields, tracingEnabled } from './lib/tracing/index.ts';

const CENSORED = '[redacted]';

/**
 * Keys whose values never reach a log line, at any depth, compared without case, `-` or `_`
 * (`apiKey`, `x-api-key`, `set-cookie`, `refresh_token`). A suffix match catches the variants
 * (`newPassword`, `csrfToken`, `totpSecret`, `passwordHash`).
 */
const SECRET_SUFFIXES = ['password', 'passphrase', 'token', 'secret', 'apikey', 'authorization', 'cookie', 'recoverycode', 'recoverycodes', 'hash', 'otp'];
/** `code` is a secret in a request (a TOTP or an email code) but an error's SQLSTATE or errno, kept. */
const SECRET_KEYS = new Set(['code']);

function isSecretKey(key: string, inError: boolean): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_KEYS.has(normalized)) return !(inError && normalized === 'code');
  return SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Errors become their safe serialization, secret keys are censored, plain objects and arrays are
 * walked to any depth (pino's `redact` needs one path per depth and cannot say "this key anywhere").
 * Instances of other classes (a request, a response) are left to their serializers.
 */
function censor(value: unknown, seen: WeakSet<object>, inError = false): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return censor(serializeError(value), seen, true);
  if (Array.isArray(value)) return value.map((item) => censor(item, seen));
  if (!isPlainObject(value)) return value;
  // A serialized error gets no prototype: a std error serializer that runs after this (a caller's
  // own pino serializers) then keeps our `type` (it would name a plain object's type "Object").
  const out: Record<string, unknown> = inError ? (Object.create(null) as Record<string, unknown>) : {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key, inError) ? CENSORED : censor(item, seen, inError && key === 'cause');
  }
  return out;
}

/**
 * A database error as SQLSTATE, constraint and table only, rebuilt from the driver error: Drizzle's
 * wrapper carries the SQL and every bound value in `message`, `stack`, `query` and `params`, and
 * the driver's own error carries them in `detail`, `query` and `parameters` (a duplicate insert
 * would log the email and the password hash). The request id comes from the log line's bindings.
 */
function serializeDatabaseError(error: Error, pgError: NonNullable<ReturnType<typeof postgresErrorOf>>) {
  return {
    type: error.name,
    message: `database error ${pgError.code}`,
    code: pgError.code,
    ...(pgError.constraint_name ? { constraint: pgError.constraint_name } : {}),
    ...(pgError.table_name ? { table: pgError.table_name } : {}),
  };
}

/** Drizzle's query wrapper: its message is "Failed query: <sql>\nparams: <values>". */
function isQueryWrapper(error: Error): boolean {
  return error.name === 'DrizzleQueryError' || ('query' in error && 'params' in error);
}

const UNSAFE_FIELDS = ['parameters', 'params', 'args', 'query', 'detail', 'hint', 'where', 'internal_query', 'raw'];

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const pgError = postgresErrorOf(error);
  if (pgError) return serializeDatabaseError(error, pgError);
  const serialized: Record<string, unknown> = isQueryWrapper(error)
    ? { type: error.name, message: 'Failed query' }
    : { type: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (!(key in serialized) && !UNSAFE_FIELDS.includes(key) && key !== 'cause') serialized[key] = value;
  }
  if (error.cause !== undefined) serialized.cause = serializeError(error.cause);
  return serialized;
}

/** How long a line may wait in the buffer before it is written (a quiet server's lines still appear at once, near enough). */
export const LOG_FLUSH_INTERVAL_MS = 200;

/**
 * The server's stdout: asynchronous and buffered. Lines collect until 4 KiB are waiting or
 * LOG_FLUSH_INTERVAL_MS has passed, so a server answering requests one at a time (a steady, paced
 * load) makes one write for many access-log lines instead of a system call per request; pino
 * flushes what is left when the process exits. A hard crash (SIGKILL) can lose the last 200 ms of
 * lines (ADR 050).
 */
export function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

export function createLogger(options: { level: string; destination?: DestinationStream; pretty?: boolean }): Logger {
  return pino(
    {
      level: options.level,
      // The active trace on every line, while tracing is on (it starts before any logger).
      ...(tracingEnabled() ? { mixin: traceLogFields } : {}),
      base: { service: 'bastion' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Runs before any serializer, on every line of this logger and its children. Measured on a
      // typical line (four keys, depth 2; 200k lines to a null sink): 1–3 µs per line over plain pino, where the redact paths it replaces (30 wildcard paths,
      // depth 3 at most) cost about 20 µs.
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => censor(bindings, new WeakSet()) as Record<string, unknown>,
        log: (object) => censor(object, new WeakSet()) as Record<string, unknown>,
      },
    },
    options.destination,
  );
}

export type { Logger };
