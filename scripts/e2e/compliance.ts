import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Browser, Page } from 'playwright-core';
import { assert, assertNoHorizontalOverflow, axeViolations, landOnAccount, NARROW, openAccountMenu, screenshot, signOut, step, WIDE } from './harness.ts';


async function both(page: Page, name: string) {
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize(NARROW);
  await assertNoHorizontalOverflow(page, name);
  await screenshot(page, `${name}-360`);
  await page.setViewportSize(WIDE);
}

/**
 * Compliance: an admin finds a user, disables it with a reason, reads it in the audit log and
 * exports the log; a plain user sees no admin page, asks for their data, schedules the deletion of
 * their account, signs in again and cancels it from the banner. axe on every page.
 */
export async function walkCompliance(browser: Browser, baseUrl: string, databaseUrl: string) {
  const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const admin = { email: `e2e-admin-${suffix}@example.com`, password: `Admin horse ${randomBytes(6).toString('hex')} battery` };
  const pat = { email: `e2e-pat-${suffix}@example.com`, password: `Private horse ${randomBytes(6).toString('hex')} battery` };
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });

  const signUp = async (who: { email: string; password: string }) => {
    await page.goto(`${baseUrl}/sign-up`);
    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${baseUrl}/sign-in`);
  };
  const signIn = async (who: { email: string; password: string }) => {
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await landOnAccount(page, baseUrl);
  };

  try {
    await step('compliance: an admin opens the console from the header and finds a user', async () => {
      await signUp(admin);
      await signUp(pat);
      await sql`update users set role = 'admin', email_verified_at = now() where email = ${admin.email}`;
      await signIn(admin);
      await openAccountMenu(page);
      await page.getByRole('link', { name: 'Administration', exact: true }).click();
      await page.waitForURL(`${baseUrl}/admin/users`);
      await page.getByLabel('Search').fill(pat.email.slice(0, 18));
      await page.getByRole('list', { name: 'Users' }).getByRole('link', { name: pat.email }).waitFor();
      await both(page, 'admin-users');
      const violations = await axeViolations(page, `${baseUrl}/admin/users`, async (checked) => {
        await checked.getByRole('list', { name: 'Users' }).waitFor();
      });
      assert(violations.length === 0, `users list: ${violations.join('\n')}`);
    });

    await step('compliance: disabling needs a reason, is confirmed by a toast and shows in the audit log', async () => {
      await page.getByRole('list', { name: 'Users' }).getByRole('link', { name: pat.email }).click();
      await page.getByRole('heading', { level: 1, name: pat.email }).waitFor();
      await page.getByRole('button', { name: 'Disable account' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Disable account' }).click();
      await dialog.getByText('Give a reason of at least 3 characters.').waitFor();
      await both(page, 'admin-user-action');
      const userUrl = page.url();
      const dialogViolations = await axeViolations(page, userUrl, async (checked) => {
        await checked.getByRole('button', { name: 'Disable account' }).click();
        await checked.getByRole('dialog').getByLabel('Reason').waitFor();
      });
      assert(dialogViolations.length === 0, `action dialog: ${dialogViolations.join('\n')}`);
      await dialog.getByLabel('Reason').fill('e2e: reported as compromised');
      await dialog.getByRole('button', { name: 'Disable account' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Disable account: done.' }).waitFor();
      await page.getByText('Disabled', { exact: true }).first().waitFor();
      await page.getByRole('button', { name: 'Enable account' }).waitFor();
      await both(page, 'admin-user');

      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(`${baseUrl}/admin/audit`);
      const entry = page.getByRole('list', { name: 'Audit entries' }).locator(':scope > li').filter({ hasText: 'user.disabled' });
      await entry.filter({ hasText: 'Reason: e2e: reported as compromised' }).waitFor();
      await page.getByLabel('Action').fill('user.disabled');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('list', { name: 'Audit entries' }).locator(':scope > li').first().filter({ hasText: 'user.disabled' }).waitFor();
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export' }).click();
      const file = await download;
      assert(file.suggestedFilename().endsWith('.jsonl'), `export file ${file.suggestedFilename()}`);
      await page.getByTestId('toast').filter({ hasText: /Exported \d+ entr/ }).waitFor();
      await both(page, 'admin-audit');
      const violations = await axeViolations(page, `${baseUrl}/admin/audit`, async (checked) => {
        await checked.getByRole('list', { name: 'Audit entries' }).waitFor();
      });
      assert(violations.length === 0, `audit log: ${violations.join('\n')}`);
      await sql`update users set disabled_at = null where email = ${pat.email}`;
      await signOut(page);
      await page.waitForURL(`${baseUrl}/sign-in`);
    });

    await step('compliance: a plain user has no admin link, and the admin pages say so', async () => {
      await signIn(pat);
      await openAccountMenu(page);
      await page.getByRole('link', { name: 'Settings', exact: true }).waitFor();
      assert((await page.getByRole('link', { name: 'Administration', exact: true }).count()) === 0, 'a plain user sees the Administration link');
      await page.goto(`${baseUrl}/admin/users`);
      await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    });

    await step('compliance: the privacy page asks for the data export and confirms it', async () => {
      await page.goto(`${baseUrl}/account`);
      await page.getByRole('link', { name: /Privacy/ }).click();
      await page.waitForURL(`${baseUrl}/account/privacy`);
      await page.getByRole('button', { name: 'Download my data' }).click();
      await page.getByTestId('toast').filter({ hasText: 'We are preparing your archive' }).waitFor();
      await page.getByText(/Your archive (is being prepared|is ready)/).waitFor();
      await both(page, 'privacy');
      const violations = await axeViolations(page, `${baseUrl}/account/privacy`, async (checked) => {
        await checked.getByRole('heading', { name: 'Delete my account' }).waitFor();
      });
      assert(violations.length === 0, `privacy page: ${violations.join('\n')}`);
    });

    await step('compliance: deleting the account needs the password, signs out, and the banner cancels it', async () => {
      await page.getByRole('button', { name: 'Delete my account…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Password', { exact: true }).fill('not the password at all');
      await dialog.getByRole('button', { name: 'Delete my account' }).click();
      await dialog.locator('input[name="password"][aria-invalid="true"]').waitFor();
      await screenshot(page, 'privacy-delete-dialog-1280');
      await dialog.getByLabel('Password', { exact: true }).fill(pat.password);
      await dialog.getByRole('button', { name: 'Delete my account' }).click();
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByRole('status').filter({ hasText: 'Your account will be deleted on' }).waitFor();
      await signIn(pat);
      const banner = page.getByRole('region', { name: 'Account deletion' });
      await banner.getByText('Your account will be deleted on').waitFor();
      await both(page, 'deletion-banner');
      const violations = await axeViolations(page, `${baseUrl}/account/privacy`, async (checked) => {
        await checked.getByRole('region', { name: 'Account deletion' }).waitFor();
      });
      assert(violations.length === 0, `banner: ${violations.join('\n')}`);
      await banner.getByRole('button', { name: 'Keep my account' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Deletion cancelled' }).waitFor();
      await banner.waitFor({ state: 'detached' });
      const [row] = await sql<{ at: Date | null }[]>`select deletion_scheduled_at as at from users where email = ${pat.email}`;
      assert(row && row.at === null, 'the deletion is still scheduled');
    });

    await step('compliance: no page errors', async () => {
      assert(errors.length === 0, errors.join('\n'));
    });
  } finally {
    await sql.end();
    await context.close();
  }
}
