/** The e2e walk's shared pieces: steps that stop at the first failure, assertions, screenshots. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(root, '.e2e');
export const NARROW = { width: 360, height: 780 };
export const WIDE = { width: 1280, height: 800 };

export interface Result {
  name: string;
  error?: string;
}

export const results: Result[] = [];
let aborted = false;

export const isAborted = () => aborted;
/** For checks that stand on their own, after a walk stopped early. */
export const resume = () => {
  aborted = false;
};

/** Steps build on each other (sign-in needs the sign-up), so the first failure skips the rest. */
export async function step(name: string, run: () => Promise<void>): Promise<void> {
  if (aborted) return;
  try {
    await run();
    results.push({ name });
    console.log(`  ✓ ${name}`);
  } catch (error) {
    aborted = true;
    const message = error instanceof Error ? error.message : String(error);
    results.push({ name, error: message });
    console.log(`  ✗ ${name}\n    ${message.split('\n').join('\n    ')}`);
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function assertNoHorizontalOverflow(page: Page, label: string) {
  // A string, not a function: this file is typechecked without the DOM library.
  const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
  assert(width <= NARROW.width, `${label}: page is ${width} px wide at a ${NARROW.width} px viewport (horizontal overflow)`);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const AXE_RUN = `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then((result) => result.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`;

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it is now. axe is injected as a script, which the
 * production CSP rightly refuses, so the check runs in a second context (same cookies) that
 * bypasses the CSP; the main walk keeps the real CSP.
 */
export async function axeViolations(page: Page, url: string, prepare: (page: Page) => Promise<void>): Promise<string[]> {
  const browser = page.context().browser();
  assert(browser, 'no browser');
  const context = await browser.newContext({ bypassCSP: true, storageState: await page.context().storageState(), viewport: WIDE });
  try {
    const checked = await context.newPage();
    await checked.goto(url);
    await prepare(checked);
    await checked.addScriptTag({ path: AXE });
    return (await checked.evaluate(AXE_RUN)) as string[];
  } finally {
    await context.close();
  }
}

/** The header's account menu (avatar button), opened. */
export async function openAccountMenu(page: Page) {
  const button = page.getByRole('button', { name: /Account menu/ });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}

/** Signs out from the header's account menu. */
export async function signOut(page: Page) {
  await openAccountMenu(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
}

/** Sign-in lands on Contacts; these checks continue on the account page. */
export async function landOnAccount(page: Page, baseUrl: string) {
  await page.waitForURL(`${baseUrl}/contacts`);
  await page.goto(`${baseUrl}/account`);
  await page.getByTestId('account-email').waitFor();
}
