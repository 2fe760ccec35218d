import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@bastion/db';
import { refusalOf, startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../../../test/helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';
import { signUp } from '../../../test/helpers/users.ts';

let server: TestServer;
let smtp: TestSmtpServer;
const APP_ORIGIN = 'http://app.bastion.test';

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ SMTP_URL: smtp.url, APP_ORIGIN, JOB_RETRY_DELAY_S: '1', RATE_LIMITS: '*=100000/60' });
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

/** The token of the link in the first mail to `to` with this subject. */
async function linkToken(to: string, subject: RegExp, path: string): Promise<string> {
  const mail = await smtp.waitFor(to, subject);
  const match = new RegExp(`${APP_ORIGIN}${path}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match?.[1]) throw new Error(`no ${path} link in: ${mail.text}`);
  expect(mail.html).toContain(`${APP_ORIGIN}${path}?token=${match[1]}`);
  return match[1];
}

const mailsTo = (to: string) => smtp.received.filter((mail) => mail.to.includes(to));
const emailOf = async (userId: string) =>
  (await server.deps.db.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, userId)))[0]?.email;
const eventTypes = async (accessToken: string, kind?: 'account' | 'alerts') =>
  (await server.client({ accessToken }).auth.securityLog.query({ limit: 100, kind })).items.map((item) => item.type);

describe('changing the email address', () => {
  it('mails a link to the new address; confirming switches the account (verified), keeps the sessions and tells the old address', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('moved');
    const answer = await user.client.auth.requestEmailChange.mutate({ newEmail: newEmail.toUpperCase(), password: STRONG_PASSWORD });
    expect(answer).toEqual({ status: 'confirmation_sent', newEmail });
    const token = await linkToken(newEmail, /Confirm your new email address/, '/confirm-email-change');
    expect(token).toMatch(/^ec_[A-Za-z0-9_-]{43}$/);
    // Nothing changes until the new mailbox confirms.
    expect(await emailOf(user.id)).toBe(user.email);

    await expect(server.client().auth.confirmEmailChange.mutate({ token })).resolves.toEqual({ success: true, email: newEmail });
    const me = await user.client.auth.me.query(); // the same session, still valid
    expect(me.user).toMatchObject({ email: newEmail, emailVerified: true });
    const notice = await smtp.waitFor(user.email, /email address of your account was changed/);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).toMatch(new RegExp(`${APP_ORIGIN}/undo-email-change\\?token=eu_`));
    expect(await eventTypes(user.accessToken)).toEqual(expect.arrayContaining(['email_change_requested', 'email_changed']));
    // Single use.
    expect(await refusalOf(server.client().auth.confirmEmailChange.mutate({ token }))).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_token' });
    // The new address signs in; the old one no longer does.
    await expect(server.client().auth.login.mutate({ email: newEmail, password: STRONG_PASSWORD, tokenDelivery: 'body' })).resolves.toMatchObject({ status: 'authenticated' });
    expect(await refusalOf(server.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD, tokenDelivery: 'body' }))).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('the old address undoes it within 7 days: the address comes back and every session ends', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('taken-over');
    await user.client.auth.requestEmailChange.mutate({ newEmail, password: STRONG_PASSWORD });
    await server.client().auth.confirmEmailChange.mutate({ token: await linkToken(newEmail, /Confirm your new email/, '/confirm-email-change') });
    const undo = await linkToken(user.email, /was changed/, '/undo-email-change');

    const result = await server.client().auth.undoEmailChange.mutate({ token: undo });
    expect(result).toMatchObject({ success: true, email: user.email });
    expect(result.revokedSessions).toBeGreaterThanOrEqual(1);
    expect(await emailOf(user.id)).toBe(user.email);
    expect(await refusalOf(user.client.auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await refusalOf(server.client().auth.undoEmailChange.mutate({ token: undo }))).toMatchObject({ reason: 'invalid_token' });

    const again = await signUpAgain(user.email);
    expect(await eventTypes(again, 'account')).toEqual(expect.arrayContaining(['email_change_reverted', 'email_changed', 'email_change_requested']));
  });

  it('refuses a wrong password next to the field, and mails nobody', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('never');
    const refusal = await refusalOf(user.client.auth.requestEmailChange.mutate({ newEmail, password: 'not-my-password-at-all' }));
    expect(refusal).toMatchObject({ code: 'BAD_REQUEST', reason: 'invalid_password', fieldErrors: { password: ['The password is incorrect.'] } });
    const ownAddress = await refusalOf(user.client.auth.requestEmailChange.mutate({ newEmail: user.email, password: STRONG_PASSWORD }));
    expect(ownAddress).toMatchObject({ reason: 'validation_failed', fieldErrors: { newEmail: [expect.any(String)] } });
    // A mail for a later request arrives; none came for the refused ones before it.
    const later = uniqueEmail('later');
    await user.client.auth.requestEmailChange.mutate({ newEmail: later, password: STRONG_PASSWORD });
    await smtp.waitFor(later, /Confirm your new email/);
    expect(mailsTo(newEmail)).toEqual([]);
  });

  it('answers a taken address exactly like a free one; only the owner of that address is told', async () => {
    const owner = await signUp(server);
    const user = await signUp(server);
    const free = uniqueEmail('free');
    const forFree = await user.client.auth.requestEmailChange.mutate({ newEmail: free, password: STRONG_PASSWORD });
    // The link is minted when the mail job runs: wait for it before superseding the request (a job
    // that runs after the supersede has no link left to send).
    const stale = await linkToken(free, /Confirm your new email/, '/confirm-email-change');
    const forTaken = await user.client.auth.requestEmailChange.mutate({ newEmail: owner.email, password: STRONG_PASSWORD });
    expect(Object.keys(forTaken)).toEqual(Object.keys(forFree));
    expect(forTaken).toEqual({ status: 'confirmation_sent', newEmail: owner.email });
    const told = await smtp.waitFor(owner.email, /tried to use your address/);
    expect(told.text).not.toContain(user.email);
    expect(told.text).not.toMatch(/token=/);
    expect(await emailOf(user.id)).toBe(user.email);
    // The taken request superseded the free one: its link no longer works.
    expect(await refusalOf(server.client().auth.confirmEmailChange.mutate({ token: stale }))).toMatchObject({ reason: 'invalid_token' });
  });

  it('refuses an expired confirmation link and an undo link past 7 days', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('late');
    await user.client.auth.requestEmailChange.mutate({ newEmail, password: STRONG_PASSWORD });
    const token = await linkToken(newEmail, /Confirm your new email/, '/confirm-email-change');
    await server.deps.db
      .update(schema.userTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(schema.userTokens.userId, user.id));
    expect(await refusalOf(server.client().auth.confirmEmailChange.mutate({ token }))).toMatchObject({ reason: 'invalid_token' });
    expect(await emailOf(user.id)).toBe(user.email);

    const next = uniqueEmail('in-time');
    await user.client.auth.requestEmailChange.mutate({ newEmail: next, password: STRONG_PASSWORD });
    await server.client().auth.confirmEmailChange.mutate({ token: await linkToken(next, /Confirm your new email/, '/confirm-email-change') });
    const undo = await linkToken(user.email, /was changed/, '/undo-email-change');
    await server.deps.db
      .update(schema.emailChanges)
      .set({ confirmedAt: sql`now() - interval '8 days'` })
      .where(eq(schema.emailChanges.userId, user.id));
    expect(await refusalOf(server.client().auth.undoEmailChange.mutate({ token: undo }))).toMatchObject({ reason: 'invalid_token' });
    expect(await emailOf(user.id)).toBe(next);
    expect(await refusalOf(server.client().auth.confirmEmailChange.mutate({ token: 'ec_garbage' }))).toMatchObject({ reason: 'invalid_token' });
  });
});

describe('the profile and the security log', () => {
  it('changes the display name (empty clears it), recorded in the security log', async () => {
    const user = await signUp(server);
    await expect(user.client.auth.updateProfile.mutate({ name: '  Ada King  ' })).resolves.toMatchObject({ user: { name: 'Ada King' } });
    expect((await user.client.auth.me.query()).user.name).toBe('Ada King');
    await expect(user.client.auth.updateProfile.mutate({ name: '' })).resolves.toMatchObject({ user: { name: null } });
    expect(await eventTypes(user.accessToken, 'account')).toContain('profile_updated');
  });

  it('filters by kind: alerts are the failed sign-ins, not the successful ones', async () => {
    const user = await signUp(server);
    await refusalOf(server.client().auth.login.mutate({ email: user.email, password: 'wrong-password-attempt', tokenDelivery: 'body' }));
    const alerts = await eventTypes(user.accessToken, 'alerts');
    expect(alerts).toEqual(['login_failed']);
    const all = await eventTypes(user.accessToken);
    expect(all).toEqual(expect.arrayContaining(['login_failed', 'login_succeeded', 'user_registered']));
    expect(await refusalOf(user.client.auth.securityLog.query({ kind: 'everything' as 'alerts' }))).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

/** After an undo every session is gone: sign in again with the restored address. */
async function signUpAgain(email: string): Promise<string> {
  const login = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  if (login.status !== 'authenticated' || !login.accessToken) throw new Error('could not sign in again');
  return login.accessToken;
}
