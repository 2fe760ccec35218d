/**
 * Account security in the browser, on a development-mode server (the mailbox is development-only):
 * sign up → open the mail in /dev/mailbox → verify → turn on 2FA (with the current password) →
 * sign out → sign in with a code.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { watchApiRejections } from './api-rejections.ts';
import { landOnAccount, signOut } from './harness.ts';

interface Harness {
  browser: Browser;
  productionUrl: string;
  /** `mailboxUrl`: the mailbox link with its key; the page keeps the key for later visits. */
  startDevServer: () => Promise<{ baseUrl: string; mailboxUrl: string; stop: () => Promise<void> }>;
  step: (name: string, run: () => Promise<void>) => Promise<void>;
  assert: (condition: unknown, message: string) => asserts condition;
  screenshot: (page: Page, name: string) => Promise<void>;
  assertNoHorizontalOverflow: (page: Page, label: string) => Promise<void>;
  viewports: { NARROW: { width: number; height: number }; WIDE: { width: number; height: number } };
}

/** A code for the step `offset` steps from now, away from a step change so it cannot go stale mid-step. */
async function totpCode(secret: string, offset: number): Promise<string> {
  while (Date.now() % 30_000 > 27_000) await new Promise((resolve) => setTimeout(resolve, 250));
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });
}

export async function walkAccountSecurity(harness: Harness): Promise<void> {
  const { browser, step } = harness;
  const assert: Harness['assert'] = harness.assert;

  await step('production: /dev/mailbox does not exist (404)', async () => {
    const response = await fetch(`${harness.productionUrl}/dev/mailbox`, { headers: { accept: 'text/html' } });
    assert(response.status === 404, `expected 404, got ${response.status}`);
  });

  let dev: Awaited<ReturnType<Harness['startDevServer']>> | undefined;
  await step('a development server starts for the mailbox walk', async () => {
    dev = await harness.startDevServer();
  });
  if (!dev) return;
  const baseUrl = dev.baseUrl;
  const mailboxUrl = dev.mailboxUrl;
  const page = await browser.newPage({ viewport: harness.viewports.WIDE });
  const errors: string[] = [];
  // No step here expects an API rejection: any 4xx (a needless session check included) fails the walk.
  const api = watchApiRejections(page);
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !api.consoleError(message.text(), message.location().url)) errors.push(`console error: ${message.text()}`);
  });

  const email = `e2e-2fa-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Correct horse ${randomBytes(6).toString('hex')} battery`;
  let secret = '';
  let recoveryCode = '';

  try {
    await step('sign up on the development server', async () => {
      await page.goto(`${baseUrl}/sign-up`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByRole('status').filter({ hasText: 'Check your inbox' }).waitFor();
    });

    await step('the verification mail is in the dev mailbox; its link verifies the email', async () => {
      await page.goto(mailboxUrl);
      const mail = page.getByRole('article', { name: 'Confirm your email address' }).filter({ hasText: email });
      await mail.waitFor({ timeout: 20_000 });
      await harness.screenshot(page, 'dev-mailbox-1280');
      await mail.getByRole('link', { name: /\/verify-email\?token=/ }).click();
      await page.getByRole('status').filter({ hasText: 'Your email address is confirmed' }).waitFor();
      assert(page.url() === `${baseUrl}/verify-email`, `the token stayed in the address bar: ${page.url()}`);
      await harness.screenshot(page, 'verify-email-1280');
      await page.setViewportSize(harness.viewports.NARROW);
      await harness.screenshot(page, 'verify-email-360');
      await page.setViewportSize(harness.viewports.WIDE);
    });

    await step('sign in shows the account as verified', async () => {
      await page.goto(`${baseUrl}/sign-in`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await landOnAccount(page, baseUrl);
      await page.getByText('Verified', { exact: true }).waitFor();
    });

    await step('two-factor setup asks for the current password; a wrong one is shown under the field', async () => {
      await page.getByRole('link', { name: 'Two-factor authentication' }).click();
      await page.waitForURL(`${baseUrl}/account/two-factor`);
      const passwordField = page.getByLabel('Current password');
      await passwordField.fill(`${password} but wrong`);
      await api.expecting(400, ['auth.twoFactor.setup'], async () => {
        await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
        await page.locator('input[name="password"][aria-invalid="true"]').waitFor();
      });
      const errorId = ((await passwordField.getAttribute('aria-describedby')) ?? '').split(' ')[0] ?? '';
      const message = await page.locator(`[id="${errorId}"]`).textContent();
      assert(message?.includes('The password is incorrect.'), `the password field is described by "${message}", expected the wrong-password error`);
      assert((await page.getByRole('img', { name: /QR code/ }).count()) === 0, 'a QR code was shown for a wrong password');
    });

    await step('two-factor setup shows a QR code; a code turns it on and shows 10 recovery codes', async () => {
      await page.getByLabel('Current password').fill(password);
      await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
      const qr = page.getByRole('img', { name: /QR code/ });
      await qr.waitFor();
      assert((await qr.getAttribute('src'))?.startsWith('data:image/png;base64,'), 'the QR code is not a PNG data URL');
      secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
      assert(/^[A-Z2-7]{32}$/.test(secret), `unexpected secret "${secret}"`);
      await harness.screenshot(page, 'two-factor-setup-1280');
      await page.getByLabel('Code from the app').fill(await totpCode(secret, 0));
      await page.getByRole('button', { name: 'Turn on' }).click();
      const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
      await codes.first().waitFor();
      assert((await codes.count()) === 10, `expected 10 recovery codes, got ${await codes.count()}`);
      recoveryCode = (await codes.first().textContent()) ?? '';
      await page.setViewportSize(harness.viewports.NARROW);
      await harness.assertNoHorizontalOverflow(page, '/account/two-factor');
      await harness.screenshot(page, 'two-factor-codes-360');
      await page.setViewportSize(harness.viewports.WIDE);
    });

    await step('recovery codes: Copy puts them on the clipboard (with a toast), Download saves them as a file', async () => {
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      await page.getByRole('button', { name: 'Copy codes' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Recovery codes copied.' }).waitFor();
      const copied = String(await page.evaluate('navigator.clipboard.readText()'));
      assert(copied.includes(recoveryCode), 'the clipboard does not hold the recovery codes');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download codes' }).click()]);
      assert(download.suggestedFilename() === 'bastion-recovery-codes.txt', `downloaded as ${download.suggestedFilename()}`);
      const saved = await download.path();
      assert(readFileSync(saved, 'utf8').includes(recoveryCode), 'the downloaded file does not hold the recovery codes');
      await page.getByRole('button', { name: 'I have saved my codes' }).click();
      await page.getByText('10 of 10 recovery codes left').waitFor();
    });

    await step('sign out, then sign-in asks for a code and accepts one', async () => {
      await signOut(page);
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      // The enabling code's step is spent: the next step's code is the fresh one.
      await page.getByLabel('Code', { exact: true }).fill(await totpCode(secret, 1));
      await page.getByRole('button', { name: 'Verify' }).click();
      await landOnAccount(page, baseUrl);
      await page.getByTestId('account-email').filter({ hasText: email }).waitFor();
    });

    await step('sessions and security log pages list this device and the events', async () => {
      await page.goto(`${baseUrl}/account/sessions`);
      await page.getByText('This device').first().waitFor();
      await harness.screenshot(page, 'sessions-1280');
      await page.goto(`${baseUrl}/account/security-log`);
      await page.locator('[data-event-type="two_factor_enabled"]').waitFor();
      await page.locator('[data-event-type="email_verified"]').waitFor();
      await harness.screenshot(page, 'security-log-1280');
      await page.setViewportSize(harness.viewports.NARROW);
      for (const pathname of ['/account/security-log', '/account/sessions', '/account/password', '/forgot-password', '/dev/mailbox']) {
        await page.goto(`${baseUrl}${pathname}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await harness.assertNoHorizontalOverflow(page, pathname);
      }
      await harness.screenshot(page, 'dev-mailbox-360');
      await page.setViewportSize(harness.viewports.WIDE);
    });

    await step('forgot password: the mailed link sets a new password; sign-in then takes a recovery code', async () => {
      await page.goto(`${baseUrl}/account`);
      await signOut(page);
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('status').filter({ hasText: 'If an account exists' }).waitFor();
      await page.goto(`${baseUrl}/dev/mailbox`);
      const mail = page.getByRole('article', { name: 'Reset your password' }).filter({ hasText: email });
      await mail.waitFor({ timeout: 20_000 });
      await mail.getByRole('link', { name: /\/reset-password\?token=/ }).click();
      const newPassword = `${password} renewed`;
      await page.getByLabel('New password').fill(newPassword);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByRole('status').filter({ hasText: 'Your password was changed' }).waitFor();
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(newPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Code', { exact: true }).fill(recoveryCode);
      await page.getByRole('button', { name: 'Verify' }).click();
      await landOnAccount(page, baseUrl);
    });

    await step('account security pages: no console errors, page errors or API rejections', async () => {
      const all = [...errors, ...api.errors()];
      assert(all.length === 0, all.join('\n'));
    });
  } finally {
    await page.close();
    await dev.stop();
  }
}
