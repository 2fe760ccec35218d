import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@bastion/api';
import { schema } from '@bastion/db';
import { startTestServer, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

/** The log lines written since `from`, parsed. */
function linesSince(from: number): Record<string, unknown>[] {
  return server.logs.slice(from).flatMap((chunk) => chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
}

describe('database errors in the logs', () => {
  it('a failing insert is logged as SQLSTATE, constraint, table and request id: no email, hash or password', async () => {
    const marker = `marker-password-${randomBytes(6).toString('hex')}`;
    const email = uniqueEmail('log-marker');
    const passwordHash = await hashPassword(marker);
    const row = { email, passwordHash };
    await server.deps.db.insert(schema.users).values(row);
    const failure = await server.deps.db
      .insert(schema.users)
      .values(row)
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    // Through both paths errors are logged on: a procedure's child logger (ctx.log) and the root
    // logger the HTTP error handler writes to.
    const from = server.logs.length;
    server.deps.logger.child({ requestId: 'req-log-marker' }).error({ err: failure, path: 'auth.register' }, 'procedure failed');
    server.deps.logger.error({ err: failure, requestId: 'req-log-marker' }, 'unhandled error');
    const text = server.logs.slice(from).join('');
    for (const secret of [marker, passwordHash, email, passwordHash.split('$').at(-1) ?? passwordHash]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/insert into|params:|Key \(/i);
    const [procedureLine, httpLine] = linesSince(from);
    for (const line of [procedureLine, httpLine]) {
      expect(line).toMatchObject({ requestId: 'req-log-marker', err: { code: '23505', table: 'users', constraint: expect.stringMatching(/^users_/) } });
    }
  });
});

describe('redaction', () => {
  it('censors secret keys at any depth, keeps error codes', async () => {
    const from = server.logs.length;
    const connectionError = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    server.deps.logger.info(
      {
        input: { code: '123456', email: 'someone@example.com' },
        deep: { a: { b: { c: { d: { apiKey: 'sk-deep-secret-1', recoveryCodes: ['rc-secret-1', 'rc-secret-2'], secret: 'totp-secret-1', 'x-api-key': 'hdr-secret-1' } } } } },
        list: [{ refresh_token: 'rt-secret-1' }, { newPassword: 'np-secret-1' }],
        err: connectionError,
      },
      'nested',
    );
    const text = server.logs.slice(from).join('');
    for (const secret of ['123456', 'sk-deep-secret-1', 'rc-secret-1', 'totp-secret-1', 'hdr-secret-1', 'rt-secret-1', 'np-secret-1']) expect(text).not.toContain(secret);
    const [line] = linesSince(from);
    expect(line).toMatchObject({ input: { code: '[redacted]', email: 'someone@example.com' }, err: { type: 'Error', code: 'ECONNRESET', message: 'read ECONNRESET' } });
    expect(line?.deep).toEqual({ a: { b: { c: { d: { apiKey: '[redacted]', recoveryCodes: '[redacted]', secret: '[redacted]', 'x-api-key': '[redacted]' } } } } });
  });
});
