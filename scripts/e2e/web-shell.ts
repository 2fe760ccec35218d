/**
 * The web app's shell as a person meets it (issue 15): the landing page, sign-up and the landing on
 * Contacts, the header's account menu at 360 px (tap targets, overlap, keyboard), preferences with
 * dark mode (set before the first paint) and dates in the chosen zone and language, the profile
 * (name, email change through the mailed link, the unsaved-changes prompt), the security log
 * filter, the confirmation before signing out other sessions, a session ended elsewhere in two
 * open tabs, and the real 404. On a development server: its mailbox holds the mails.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { watchApiRejections, type ApiRejections } from './api-rejections.ts';
import { assert, assertNoHorizontalOverflow, axeViolations, NARROW, openAccountMenu, screenshot, step, WIDE } from './harness.ts';

type StartDevServer = () => Promise<{ baseUrl: string; mailboxUrl: string; stop: () => Promise<void> }>;

interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The boxes of the visible interactive elements under `scope`, named for messages. */
async function boxesOf(scope: Locator): Promise<Box[]> {
  const boxes: Box[] = [];
  const elements = scope.locator('a, button, select, input');
  for (let index = 0; index < (await elements.count()); index++) {
    const element = elements.nth(index);
    if (!(await element.isVisible())) continue;
    const box = await element.boundingBox();
    if (!box) continue;
    const label = ((await element.getAttribute('aria-label')) ?? (await element.innerText())).trim().replace(/\s+/g, ' ') || `#${index}`;
    boxes.push({ label, ...box });
  }
  return boxes;
}

/** Every target at least 44 × 44 px, none overlapping another, all inside the viewport. */
function checkTapTargets(boxes: Box[], where: string) {
  assert(boxes.length > 0, `${where}: no interactive element found`);
  for (const box of boxes) {
    assert(box.height >= 44 && box.width >= 44, `${where}: "${box.label}" is ${Math.round(box.width)} × ${Math.round(box.height)} px (under 44 px)`);
    assert(box.x >= 0 && box.x + box.width <= NARROW.width + 0.5, `${where}: "${box.label}" leaves the ${NARROW.width} px viewport (x ${Math.round(box.x)}, width ${Math.round(box.width)})`);
  }
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const overlapX = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const overlapY = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      assert(overlapX <= 0.5 || overlapY <= 0.5, `${where}: "${a.label}" and "${b.label}" overlap`);
    }
  }
}

async function both(page: Page, name: string) {
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize(NARROW);
  await assertNoHorizontalOverflow(page, name);
  await screenshot(page, `${name}-360`);
  await page.setViewportSize(WIDE);
}

async function noSeriousAxe(page: Page, url: string, prepare: (page: Page) => Promise<void>) {
  const violations = (await axeViolations(page, url, prepare)).filter((line) => /\((serious|critical)\)/.test(line));
  assert(violations.length === 0, `${url}: ${violations.join('\n')}`);
}

function watchErrors(page: Page, api: ApiRejections, errors: string[]) {
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || api.consoleError(message.text(), message.location().url)) return;
    // The document of an unknown path answers 404 on purpose (checked in its own step).
    if (/status of 404/.test(message.text()) && /\/no-such-page/.test(message.location().url)) return;
    errors.push(`console error: ${message.text()} (${message.location().url || 'no url'})`);
  });
}

export async function walkWebShell({ browser, startDevServer }: { browser: Browser; startDevServer: StartDevServer }): Promise<void> {
  let dev: Awaited<ReturnType<StartDevServer>> | undefined;
  await step('web shell: a development server starts', async () => {
    dev = await startDevServer();
  });
  if (!dev) return;
  const { baseUrl, mailboxUrl } = dev;
  const context = await browser.newContext({ viewport: WIDE });
  const page = await context.newPage();
  const api = watchApiRejections(page);
  const errors: string[] = [];
  watchErrors(page, api, errors);
  let other: BrowserContext | undefined;

  const email = `e2e-shell-${randomBytes(4).toString('hex')}@example.com`;
  const newEmail = `e2e-moved-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Correct horse ${randomBytes(6).toString('hex')} battery`;
  const signInAs = async (target: Page, address: string) => {
    await target.getByLabel('Email', { exact: true }).fill(address);
    await target.getByLabel('Password', { exact: true }).fill(password);
    await target.getByRole('button', { name: 'Sign in' }).click();
  };

  try {
    await step('web shell: the landing page says what Bastion is (contacts, assistant, security)', async () => {
      await page.goto(baseUrl);
      await page.getByRole('heading', { level: 1, name: /contacts and an assistant/i }).waitFor();
      for (const feature of ['Your contacts', 'An assistant', 'Security you can see']) await page.getByRole('heading', { level: 2, name: feature, exact: true }).waitFor();
      await both(page, 'landing');
    });

    await step('web shell: sign-up says to check the inbox with the address shown; sign-in lands on Contacts', async () => {
      await page.goto(`${baseUrl}/sign-up`);
      await page.getByLabel('Name (optional)').fill('Grace Hopper');
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${baseUrl}/sign-in`);
      await page.getByRole('status').filter({ hasText: `Check your inbox: we sent an email to ${email}` }).waitFor();
      // The mailbox key is kept by this browser, as a developer following the printed link would have it.
      await page.goto(mailboxUrl);
      await page.getByRole('heading', { level: 1, name: 'Development mailbox' }).waitFor();
      await page.goto(`${baseUrl}/sign-in`);
      await signInAs(page, email);
      await page.waitForURL(`${baseUrl}/contacts`);
    });

    await step('web shell: in development the verify banner links to the mailbox', async () => {
      await page.goto(`${baseUrl}/account`);
      await page.getByRole('link', { name: 'Open the development mailbox' }).click();
      await page.waitForURL(`${baseUrl}/dev/mailbox`);
      await page.getByRole('article', { name: 'Confirm your email address' }).filter({ hasText: email }).waitFor({ timeout: 20_000 });
    });

    await step('web shell: at 360 px the header fits: every tap target ≥ 44 px, none overlapping; so is the open menu', async () => {
      await page.setViewportSize(NARROW);
      for (const pathname of ['/account', '/contacts', '/assistant', '/settings/preferences']) {
        await page.goto(`${baseUrl}${pathname}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        checkTapTargets(await boxesOf(page.locator('header')), `header on ${pathname}`);
      }
      await page.goto(`${baseUrl}/account`);
      await page.getByTestId('account-email').waitFor();
      await openAccountMenu(page);
      const menu = page.locator('header [id]').filter({ has: page.getByRole('link', { name: 'Account', exact: true }) });
      await menu.waitFor();
      checkTapTargets(await boxesOf(menu), 'open account menu');
      await noSeriousAxe(page, `${baseUrl}/account`, async (checked) => {
        await checked.getByTestId('account-email').waitFor();
        await openAccountMenu(checked);
        await checked.getByRole('link', { name: 'Settings', exact: true }).waitFor();
      });
      await screenshot(page, 'header-menu-360');
      await page.setViewportSize(WIDE);
      await screenshot(page, 'header-menu-1280');
    });

    await step('web shell: the account menu works from the keyboard (aria-expanded, focus in, Escape closes and returns focus)', async () => {
      await page.keyboard.press('Escape');
      const button = page.getByRole('button', { name: /Account menu/ });
      assert((await button.getAttribute('aria-expanded')) === 'false', 'Escape left the menu open');
      const controls = await button.getAttribute('aria-controls');
      const focusedControls = await page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-controls')");
      assert(focusedControls === controls, 'focus did not return to the menu button');
      await page.keyboard.press('Enter');
      assert((await button.getAttribute('aria-expanded')) === 'true', 'Enter did not open the menu');
      const focused = String(await page.evaluate('document.activeElement && document.activeElement.textContent'));
      assert(focused.trim() === 'Account', `focus moved to "${focused}", not the first item`);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter'); // Settings
      await page.waitForURL(`${baseUrl}/settings/preferences`);
      assert((await button.getAttribute('aria-expanded')) === 'false', 'the menu stayed open after navigating');
    });

    await step('web shell: preferences apply at once: dark mode, time zone and language; saved with a toast', async () => {
      await page.getByRole('heading', { level: 1, name: 'Preferences' }).waitFor();
      await page.getByLabel('Dark', { exact: true }).check();
      await page.locator('html.dark').waitFor({ state: 'attached' });
      await page.getByTestId('toast').filter({ hasText: 'Preferences saved.' }).first().waitFor();
      await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
      await page.getByLabel('Language and region').selectOption('de-DE');
      // The example follows at once: German dates ("01.12.2026, 09:30").
      await page.getByText(/Times are shown like this: \d{2}\.\d{2}\.\d{4}/).waitFor();
      await both(page, 'preferences-dark');
    });

    await step('web shell: dark mode is on before the first paint of the next load (no flash) and on every page', async () => {
      // Records the <html> class when <body> first exists, i.e. before anything is painted.
      await context.addInitScript(`new MutationObserver((_, observer) => {
        if (document.body && window.__classAtFirstBody === undefined) { window.__classAtFirstBody = document.documentElement.className; observer.disconnect(); }
      }).observe(document, { childList: true, subtree: true });`);
      for (const pathname of ['/account', '/account/security-log', '/account/sessions', '/contacts', '/', '/no-such-page']) {
        await page.goto(`${baseUrl}${pathname}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        const early = String(await page.evaluate('window.__classAtFirstBody'));
        assert(early.split(' ').includes('dark'), `${pathname}: <html> had class "${early}" at first paint, not dark`);
      }
      await page.goto(`${baseUrl}/account`);
      await page.getByTestId('account-email').waitFor();
      await both(page, 'account-dark');
      await page.goto(`${baseUrl}/account/security-log`);
      await page.locator('[data-event-type]').first().waitFor();
      const time = await page.locator('time').first().innerText();
      assert(/\d{2}\.\d{2}\.\d{4}/.test(time), `the security log shows "${time}", not a German date`);
      await both(page, 'security-log-dark');
      // Every other page of the account in dark, at 360 px: looked at for contrast and overlap.
      await page.setViewportSize(NARROW);
      for (const [pathname, name] of [
        ['/account/sessions', 'sessions'],
        ['/account/two-factor', 'two-factor'],
        ['/account/api-keys', 'api-keys'],
        ['/account/password', 'password'],
        ['/account/privacy', 'privacy'],
        ['/webhooks', 'webhooks'],
        ['/dev/mailbox', 'dev-mailbox'],
        // A mailed link's landing page (TokenLinkPage) opened without its token: the error state.
        ['/confirm-email-change', 'token-link-error'],
      ] as const) {
        await page.goto(`${baseUrl}${pathname}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await assertNoHorizontalOverflow(page, pathname);
        await screenshot(page, `${name}-dark-360`);
      }
      await page.setViewportSize(WIDE);
      await noSeriousAxe(page, `${baseUrl}/settings/preferences`, async (checked) => {
        await checked.getByRole('heading', { level: 1, name: 'Preferences' }).waitFor();
      });
      await page.goto(`${baseUrl}/settings/preferences`);
      await page.getByLabel('Light', { exact: true }).check();
      await page.waitForFunction('!document.documentElement.classList.contains("dark")');
      await page.getByLabel('Language and region').selectOption('en-GB');
      await page.getByText(/Times are shown like this: \d{1,2} \S+ \d{4}/).waitFor();
    });

    await step('web shell: the name is edited in a dialog; closing it with edits asks first', async () => {
      await page.goto(`${baseUrl}/account`);
      await page.getByRole('button', { name: 'Edit name' }).click();
      const dialog = page.getByRole('dialog', { name: 'Your name' });
      await dialog.getByLabel('Name', { exact: true }).fill('Grace B. Hopper');
      await page.keyboard.press('Escape');
      await dialog.getByRole('alert').filter({ hasText: 'Discard your changes?' }).waitFor();
      await dialog.getByRole('button', { name: 'Keep editing' }).click();
      assert((await dialog.getByLabel('Name', { exact: true }).inputValue()) === 'Grace B. Hopper', 'keeping the edits lost them');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.getByRole('button', { name: 'Discard changes' }).waitFor();
      await screenshot(page, 'dialog-discard-prompt-1280');
      await dialog.getByRole('button', { name: 'Keep editing' }).click();
      await dialog.getByRole('button', { name: 'Save name' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Name saved.' }).waitFor();
      await page.getByText('Grace B. Hopper').first().waitFor();
    });

    await step('web shell: changing the email: a wrong password is shown under the field', async () => {
      await page.getByRole('button', { name: 'Change email address' }).click();
      const dialog = page.getByRole('dialog', { name: 'Change your email address' });
      await dialog.getByLabel('New email address').fill(newEmail);
      await dialog.getByLabel('Your password').fill(`${password} wrong`);
      await api.expecting(400, ['auth.requestEmailChange'], async () => {
        await dialog.getByRole('button', { name: 'Send confirmation link' }).click();
        await dialog.getByText('The password is incorrect.').waitFor();
      });
      await page.setViewportSize(NARROW);
      await screenshot(page, 'change-email-360');
      await page.setViewportSize(WIDE);
    });

    await step('web shell: changing the email: the link mailed to the new address switches the account; the log says so', async () => {
      const dialog = page.getByRole('dialog', { name: 'Change your email address' });
      await dialog.getByLabel('Your password').fill(password);
      await dialog.getByRole('button', { name: 'Send confirmation link' }).click();
      await page.getByTestId('toast').filter({ hasText: `We sent a confirmation link to ${newEmail}` }).waitFor();
      await page.getByRole('status').filter({ hasText: `Check your inbox at ${newEmail}` }).waitFor();
      await page.goto(`${baseUrl}/dev/mailbox`);
      const mail = page.getByRole('article', { name: 'Confirm your new email address' }).filter({ hasText: newEmail });
      await mail.waitFor({ timeout: 20_000 });
      await mail.getByRole('link', { name: /\/confirm-email-change\?token=/ }).click();
      await page.getByRole('status').filter({ hasText: `your account’s email address is now ${newEmail}` }).waitFor();
      await both(page, 'email-change-confirmed');
      await page.goto(`${baseUrl}/account`);
      await page.getByTestId('account-email').filter({ hasText: newEmail }).waitFor();
      await page.goto(`${baseUrl}/account/security-log`);
      await page.locator('[data-event-type="email_changed"]').waitFor();
    });

    await step('web shell: the security log highlights failed sign-ins and filters by kind (in the URL, back works)', async () => {
      const failed = await fetch(`${baseUrl}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: baseUrl },
        body: JSON.stringify({ email: newEmail, password: `${password} guessed` }),
      });
      assert(failed.status === 401, `a wrong password answered ${failed.status}`);
      await page.reload();
      await page.locator('[data-alert] [data-event-type="login_failed"]').waitFor();
      await page.getByLabel('Show').selectOption('alerts');
      await page.waitForURL(`${baseUrl}/account/security-log?kind=alerts`);
      await page.locator('[data-event-type="login_failed"]').waitFor();
      const shown = page.locator('[data-event-type]');
      const types: (string | null)[] = [];
      for (let index = 0; index < (await shown.count()); index++) types.push(await shown.nth(index).getAttribute('data-event-type'));
      assert(types.every((type) => type === 'login_failed'), `the alerts filter shows ${types.join(', ')}`);
      await both(page, 'security-log-alerts');
      await noSeriousAxe(page, `${baseUrl}/account/security-log?kind=alerts`, async (checked) => {
        await checked.locator('[data-alert]').first().waitFor();
      });
      await page.goBack();
      await page.waitForURL(`${baseUrl}/account/security-log`);
      await page.locator('[data-event-type="email_changed"]').waitFor();
    });

    await step('web shell: "sign out all other sessions" asks for confirmation, then says how many', async () => {
      other = await browser.newContext({ viewport: WIDE });
      const elsewhere = await other.newPage();
      await elsewhere.goto(`${baseUrl}/sign-in`);
      await signInAs(elsewhere, newEmail);
      await elsewhere.waitForURL(`${baseUrl}/contacts`);
      await page.goto(`${baseUrl}/account/sessions`);
      await page.getByRole('button', { name: 'Sign out all other sessions' }).click();
      const dialog = page.getByRole('dialog', { name: 'Sign out all other sessions?' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: 'Sign out all other sessions' }).click();
      await screenshot(page, 'sessions-confirm-1280');
      await dialog.getByRole('button', { name: 'Sign out other sessions' }).click();
      await page.getByTestId('toast').filter({ hasText: /Signed out \d+ other session/ }).waitFor();
      await page.getByText('No other device is signed in.').waitFor();
    });

    await step('web shell: a session ended elsewhere signs out both open tabs, with the reason and the way back', async () => {
      const second = await context.newPage();
      const secondApi = watchApiRejections(second);
      watchErrors(second, secondApi, errors);
      await second.goto(`${baseUrl}/account/sessions`);
      await second.getByText('This device').waitFor();
      await page.goto(`${baseUrl}/account`);
      await page.getByTestId('account-email').waitFor();
      // Another device signs this one out (all sessions but its own).
      const elsewhere = await other!.newPage();
      await elsewhere.goto(`${baseUrl}/sign-in`);
      await signInAs(elsewhere, newEmail);
      await elsewhere.waitForURL(`${baseUrl}/contacts`);
      await elsewhere.goto(`${baseUrl}/account/sessions`);
      await elsewhere.getByRole('button', { name: 'Sign out all other sessions' }).click();
      await elsewhere.getByRole('dialog').getByRole('button', { name: 'Sign out other sessions' }).click();
      await elsewhere.getByText('No other device is signed in.').waitFor();

      // The first tab acts (an in-app navigation asks the server); the second one only listens.
      await secondApi.expecting(401, ['auth.sessions.list', 'auth.refresh', 'auth.me'], async () => {
        await api.expecting(401, ['auth.securityLog', 'auth.refresh', 'auth.me'], async () => {
          await page.getByRole('link', { name: 'Security log' }).click();
          await page.waitForURL(/\/sign-in\?reason=signed_out&next=%2Faccount%2Fsecurity-log$/);
          await second.waitForURL(/\/sign-in\?reason=signed_out&next=%2Faccount%2Fsessions$/);
        });
      });
      for (const tab of [page, second]) {
        await tab.getByRole('status').filter({ hasText: 'You were signed out (on another device or after a while). Sign in again.' }).waitFor();
        // The header no longer says signed in.
        await tab.locator('header').getByRole('link', { name: /^(Sign up|Create account)$/ }).waitFor();
        assert((await tab.getByRole('button', { name: /Account menu/ }).count()) === 0, 'the header still shows the account menu');
      }
      await both(page, 'signed-out');
      await signInAs(page, newEmail);
      await page.waitForURL(`${baseUrl}/account/security-log`);
      await second.close();
      errors.push(...secondApi.errors());
    });

    await step('web shell: an unknown path answers 404 with the app’s not-found page', async () => {
      const response = await page.goto(`${baseUrl}/no-such-page`);
      assert(response?.status() === 404, `expected 404, got ${response?.status()}`);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      const known = await page.goto(`${baseUrl}/settings/preferences`);
      assert(known?.status() === 200, `a page of the app answered ${known?.status()}`);
    });

    await step('web shell: no console errors, page errors or unexpected API rejections', async () => {
      const all = [...errors, ...api.errors()];
      assert(all.length === 0, all.join('\n'));
    });
  } finally {
    await other?.close();
    await context.close();
    await dev.stop();
  }
}
