import postgres from 'postgres';
import { TRPCError } from '@trpc/server';
import { PoolTimeoutError } from '@bastion/db';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from './app-error.ts';
import { formatError } from './error-formatter.ts';
import { toTRPCError } from './to-trpc-error.ts';

function pgError(code: string) {
  const error = new postgres.PostgresError(`duplicate key value violates unique constraint "users_email_lower_key"`) as postgres.PostgresError & Record<string, unknown>;
  Object.assign(error, { code, table_name: 'users', constraint_name: 'users_email_lower_key', detail: 'Key (lower(email))=(a@b.c) already exists.' });
  return error;
}

/** As Drizzle throws it: the driver error wrapped, with the SQL and parameters in the message. */
function drizzleWrapped(code: string) {
  return Object.assign(new Error('Failed query: insert into "users" ("email") values ($1)\nparams: a@b.c'), { cause: pgError(code) });
}

describe('toTRPCError', () => {
  const table: [string, TRPCError['code'], string][] = [
    ['23505', 'CONFLICT', 'resource_already_exists'],
    ['23503', 'BAD_REQUEST', 'related_resource_missing'],
    ['23514', 'BAD_REQUEST', 'invalid_value'],
    ['23502', 'BAD_REQUEST', 'missing_value'],
    ['22001', 'BAD_REQUEST', 'value_too_long'],
    ['22P02', 'BAD_REQUEST', 'invalid_value'],
    ['40001', 'CONFLICT', 'concurrent_update'],
    ['40P01', 'CONFLICT', 'concurrent_update'],
    ['57014', 'TIMEOUT', 'query_timeout'],
    ['57P01', 'SERVICE_UNAVAILABLE', 'database_unavailable'],
    ['08006', 'SERVICE_UNAVAILABLE', 'database_unavailable'],
  ];

  it.each(table)('maps SQLSTATE %s to %s / %s without leaking details', (code, trpcCode, reason) => {
    for (const thrown of [pgError(code), drizzleWrapped(code), new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: drizzleWrapped(code) })]) {
      const mapped = toTRPCError(thrown);
      expect(mapped).toBeInstanceOf(AppError);
      expect(mapped.code).toBe(trpcCode);
      expect((mapped as AppError).reason).toBe(reason);
      expect(mapped.message).not.toMatch(/users|constraint|insert|params|key/i);
    }
  });

  it('maps a lost connection to SERVICE_UNAVAILABLE', () => {
    const error = Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
    expect(toTRPCError(error).code).toBe('SERVICE_UNAVAILABLE');
    expect(toTRPCError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('passes TRPCErrors through and turns anything else into an internal error keeping the cause', () => {
    const forbidden = new AppError('FORBIDDEN', 'forbidden', 'No.');
    expect(toTRPCError(forbidden)).toBe(forbidden);
    const boom = new Error('secret internals');
    const mapped = toTRPCError(boom);
    expect(mapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(mapped.message).toBe('Internal server error');
    expect(mapped.cause).toBe(boom);
    // An unknown SQLSTATE is internal, not guessed.
    expect(toTRPCError(pgError('XX000')).code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('formatError', () => {
  const shapeOf = (error: TRPCError) =>
    getErrorShape({ config: { errorFormatter: ({ shape }: { shape: unknown }) => shape, transformer: { input: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v }, output: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v } }, isDev: true } as never, error, type: 'mutation', path: 'auth.register', input: undefined, ctx: undefined });

  it('turns a zod failure into field errors keyed by dotted path', () => {
    const result = z.object({ email: z.email(), profile: z.object({ name: z.string().min(2) }) }).safeParse({ email: 'x', profile: { name: 'a' } });
    const error = new TRPCError({ code: 'BAD_REQUEST', cause: result.error });
    const formatted = formatError({ shape: shapeOf(error), error }, { requestId: 'req-1', exposeInternals: false });
    expect(formatted.message).toBe('Invalid input');
    expect(formatted.data.reason).toBe('validation_failed');
    expect(Object.keys(formatted.data.fieldErrors ?? {}).sort()).toEqual(['email', 'profile.name']);
    expect(formatted.data.requestId).toBe('req-1');
  });

  it('hides the message and stack of internal errors outside development', () => {
    const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'select * from users failed', cause: new Error('boom') });
    const formatted = formatError({ shape: shapeOf(error), error }, { requestId: 'req-2', exposeInternals: false });
    expect(formatted.message).toBe('Internal server error');
    expect(formatted.data.stack).toBeUndefined();
    expect(JSON.stringify(formatted)).not.toMatch(/select|boom/);
    expect(formatted.data.requestId).toBe('req-2');
    const dev = formatError({ shape: shapeOf(error), error }, { requestId: 'req-2', exposeInternals: true });
    expect(dev.message).toBe('select * from users failed');
    expect(dev.data.stack).toBeDefined();
  });

  it('carries the stable reason of an AppError and its field errors', () => {
    const error = new AppError('CONFLICT', 'resource_already_exists', 'Taken.', { fieldErrors: { email: ['Taken.'] } });
    const formatted = formatError({ shape: shapeOf(error), error }, { requestId: null, exposeInternals: false });
    expect(formatted.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409, reason: 'resource_already_exists', fieldErrors: { email: ['Taken.'] } });
  });

  it('maps what skipped the procedure middleware (an error raised while a subscription streams), even in development', () => {
    // As tRPC hands a stream's error to the formatter: the thrown error wrapped as an internal error.
    const poolTimeout = Object.assign(new Error('Failed query: select * from "users" where "email" = $1\nparams: a@b.c'), { cause: new PoolTimeoutError(2000) });
    for (const exposeInternals of [false, true]) {
      for (const cause of [poolTimeout, drizzleWrapped('53300')]) {
        const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });
        const formatted = formatError({ shape: shapeOf(error), error }, { requestId: 'req-3', exposeInternals });
        expect(formatted.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: cause === poolTimeout ? 'database_busy' : 'database_unavailable', requestId: 'req-3' });
        expect(formatted.code).toBe(shapeOf(new TRPCError({ code: 'SERVICE_UNAVAILABLE' })).code);
        expect(JSON.stringify(formatted)).not.toMatch(/users|params|insert|select|a@b\.c/);
      }
    }
  });

  it('derives a snake_case reason for plain TRPCErrors', () => {
    const error = new TRPCError({ code: 'NOT_FOUND' });
    expect(formatError({ shape: shapeOf(error), error }, { requestId: null, exposeInternals: false }).data.reason).toBe('not_found');
  });
});
