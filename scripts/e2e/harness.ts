/** The e2e walk's shared pieces: steps that stop at the first failure, assertions, screenshots. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
