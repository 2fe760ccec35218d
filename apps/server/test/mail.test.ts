import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, createContextInner } from '@bastion/api';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { startTestServer, TEST_ENV, type TestServer } from '../../../test/helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';
import { queueMail } from '../../../packages/api/src/features/mail/send-mail.job.ts';

let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
});

afterAll(async () => {
  await smtp.close();
});

const link = 'http://localhost:5300/forgot-password';

describe('mail over SMTP through the job queue', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Bastion <security@bastion.test>', JOB_RETRY_DELAY_S: '1' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('delivers a queued email with a text and an HTML part', async () => {
    await queueMail(server.deps.jobs, 'ada@example.com', { template: 'account_locked', minutes: 15, resetLink: link });
    const mail = await smtp.waitFor('ada@example.com', /Sign-in to your account was paused/);
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.text).toMatch(/paused for 15 minutes/);
  });

  it('retries a temporary SMTP failure with backoff until it is delivered', async () => {
    smtp.failNext(2);
    await queueMail(server.deps.jobs, 'retry@example.com', { template: 'password_changed' });
    const mail = await smtp.waitFor('retry@example.com', /password was changed/, 25_000);
    expect(mail.text).toMatch(/other sessions were signed out/);
    expect(server.logs.join('')).toMatch(/job failed; it will be retried/);
    // The Message-ID comes from the job, so every attempt (and a resend after a crash) repeats it.
    const [job] = await server.deps.sql<{ id: string }[]>`select id from pgboss.job where name = 'send-mail' and data->>'to' = 'retry@example.com'`;
    expect(mail.messageId).toBe(`<mail-${job!.id}@bastion.test>`);
  });

  it('escapes values in the HTML part', async () => {
    await queueMail(server.deps.jobs, 'escape@example.com', { template: 'account_locked', minutes: 15, resetLink: 'http://localhost/forgot-password?a"><script>x</script>' });
    const mail = await smtp.waitFor('escape@example.com');
    expect(mail.html).not.toContain('<script>');
  });

  it('lets running jobs finish when the server shuts down', async () => {
    const draining = await startTestServer({ SMTP_URL: smtp.url });
    smtp.delayMs = 1500;
    try {
      const before = smtp.started();
      await queueMail(draining.deps.jobs, 'drain@example.com', { template: 'password_changed' });
      // Stop while the worker is in the middle of the SMTP conversation.
      const deadline = Date.now() + 10_000;
      while (smtp.started() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(smtp.received.some((mail) => mail.to.includes('drain@example.com'))).toBe(false);
      await draining.close();
      expect(smtp.received.some((mail) => mail.to.includes('drain@example.com'))).toBe(true);
      expect(draining.logs.join('')).toMatch(/job done/);
    } finally {
      smtp.delayMs = 0;
    }
  });
});

describe('the development outbox', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('keeps messages for the /dev/mailbox page', async () => {
    await queueMail(server.deps.jobs, 'outbox@example.com', { template: 'account_locked', minutes: 15, resetLink: link });
    let mailbox: Awaited<ReturnType<ReturnType<TestServer['client']>['dev']['mailbox']['query']>> = [];
    const deadline = Date.now() + 15_000;
    while (!mailbox.some((mail) => mail.to === 'outbox@example.com') && Date.now() < deadline) {
      mailbox = await server.client().dev.mailbox.query();
      await new Promise((r) => setTimeout(r, 100));
    }
    const mail = mailbox.find((candidate) => candidate.to === 'outbox@example.com');
    expect(mail?.subject).toBe('Sign-in to your account was paused');
    expect(mail?.text).toContain(link);
  });

  it('does not exist in production', async () => {
    const caller = createCaller(
      createContextInner({
        deps: { ...server.deps, config: { ...server.deps.config, isProduction: true, env: 'production' } },
        request: { requestId: 'test-request', ip: null, userAgent: null, authorization: null },
      }),
    );
    await expect(caller.dev.mailbox()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('WORKERS=off and the separate worker process', () => {
  it('the API process only queues; `pnpm worker` delivers', async () => {
    const DATABASE_URL = await createTestDatabase();
    const api = await startTestServer({ WORKERS: 'off', SMTP_URL: smtp.url }, DATABASE_URL);
    const worker = spawn(process.execPath, ['--experimental-strip-types', path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/worker.ts')], {
      env: { PATH: process.env.PATH, ...TEST_ENV, DATABASE_URL, SMTP_URL: smtp.url, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      await queueMail(api.deps.jobs, 'worker@example.com', { template: 'password_changed' });
      await smtp.waitFor('worker@example.com', undefined, 20_000);
      expect(api.logs.join('')).not.toMatch(/workers started|job done/);
      await new Promise((r) => setTimeout(r, 200));
      expect(output).toMatch(/job done/);
    } finally {
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('worker stopped');
      await api.close();
    }
  });
});
