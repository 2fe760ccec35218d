import { randomBytes } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';
import type { Browser } from 'playwright-core';
import { assert, assertNoHorizontalOverflow, axeViolations, landOnAccount, NARROW, screenshot, step, WIDE } from './harness.ts';
import type { StartDevServer } from './webhooks.ts';

const CLIENT_ID = 'bastion-e2e-client';

/**
 * Sign in with Google against oauth2-mock-server on loopback (a development server: production
 * refuses an http issuer): "Continue with Google" on sign-up creates the account, the account page
 * links to Connected accounts, the only sign-in method cannot be disconnected until a password is
 * set, and afterwards Google does not sign in by email alone (the sign-in page says why). axe and
 * 360 px on the new page.
 */
export async function walkConnectedAccounts({ browser, startDevServer }: { browser: Browser; startDevServer: StartDevServer }) {
  const issuer = new OAuth2Server();
  await issuer.issuer.keys.generate('RS256');
  await issuer.start(0, '127.0.0.1');
  const email = `e2e-google-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  issuer.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    if (token.payload.aud === CLIENT_ID) Object.assign(token.payload, { sub: `e2e-${email}`, email, email_verified: true, name: 'Gee Tester' });
  });
  let server: Awaited<ReturnType<StartDevServer>> | undefined;
  const context = await browser.newContext({ viewport: WIDE });
  const page = await context.newPage();
  try {
    await step('connected accounts: a development server with Google configured (mock issuer) starts', async () => {
      server = await startDevServer({ GOOGLE_ISSUER: issuer.issuer.url!, GOOGLE_CLIENT_ID: CLIENT_ID, GOOGLE_CLIENT_SECRET: 'e2e-secret' });
    });
    const baseUrl = () => server!.baseUrl;

    await step('connected accounts: "Continue with Google" on sign-up creates a signed-in account', async () => {
      await page.goto(`${baseUrl()}/sign-up`);
      await page.getByRole('button', { name: 'Continue with Google' }).click();
      await landOnAccount(page, baseUrl());
      await page.getByTestId('account-email').filter({ hasText: email }).waitFor();
    });

    await step('connected accounts: the account page links to the list, Google shown as connected', async () => {
      await page.getByRole('link', { name: 'Connected accounts' }).click();
      await page.waitForURL(`${baseUrl()}/account/connected-accounts`);
      const list = page.getByRole('list', { name: 'Connected accounts' });
      await list.getByText('Connected', { exact: true }).waitFor();
      await list.getByText(email).waitFor();
      await screenshot(page, 'connected-accounts-1280');
      await page.setViewportSize(NARROW);
      await assertNoHorizontalOverflow(page, '/account/connected-accounts');
      await screenshot(page, 'connected-accounts-360');
      await page.setViewportSize(WIDE);
    });

    await step('connected accounts: no WCAG 2.1 A/AA violations', async () => {
      const violations = await axeViolations(page, `${baseUrl()}/account/connected-accounts`, async (checked) => {
        await checked.getByRole('list', { name: 'Connected accounts' }).waitFor();
      });
      assert(violations.length === 0, violations.join('\n'));
    });

    await step('connected accounts: the only sign-in method cannot be disconnected (confirmation, then the reason)', async () => {
      await page.getByRole('button', { name: /^Disconnect Google/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Disconnect Google?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await dialog.getByRole('alert').filter({ hasText: 'only way to sign in' }).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('list', { name: 'Connected accounts' }).getByText(email).waitFor();
    });

    await step('connected accounts: signing in again with Google reaches the same account', async () => {
      await context.clearCookies();
      await page.goto(`${baseUrl()}/sign-in`);
      await page.getByRole('button', { name: 'Continue with Google' }).click();
      await landOnAccount(page, baseUrl());
      await page.getByTestId('account-email').filter({ hasText: email }).waitFor();
    });

    await step('connected accounts: a Google-only account sets a password, then may disconnect Google', async () => {
      await page.getByRole('link', { name: 'Change password' }).click();
      await page.getByRole('heading', { name: 'Set a password' }).waitFor();
      await page.getByLabel('New password').fill(`Google horse ${randomBytes(6).toString('hex')} battery`);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('status').filter({ hasText: 'Password set' }).waitFor();
      await page.goto(`${baseUrl()}/account/connected-accounts`);
      await page.getByRole('button', { name: /^Disconnect Google/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Disconnect Google?' });
      await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await page.getByText('No account is connected yet.').waitFor();
      await page.getByRole('button', { name: 'Link Google' }).waitFor();
    });

    await step('connected accounts: Google no longer signs in by email alone; the sign-in page says why', async () => {
      await context.clearCookies();
      await page.goto(`${baseUrl()}/sign-in`);
      await page.getByRole('button', { name: 'Continue with Google' }).click();
      await page.waitForURL(`${baseUrl()}/sign-in?error=account_exists`);
      await page.getByRole('alert').filter({ hasText: 'Sign in with your password' }).waitFor();
      await page.goto(`${baseUrl()}/sign-in?error=<b>made-up</b>`);
      await page.getByRole('alert').filter({ hasText: 'Sign-in with Google did not work' }).waitFor();
      assert((await page.getByText('made-up').count()) === 0, 'the page echoed the error parameter');
    });
  } finally {
    await context.close();
    await server?.stop();
    await issuer.stop();
  }
}
