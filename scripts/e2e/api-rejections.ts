/**
 * Every API answer of 400 or more seen by a page is a failure unless the step that caused it said it
 * expects it (a wrong password's 401, a duplicate email's 409). Chromium logs each such answer as a
 * "Failed to load resource" console error; only those of expected answers are forgiven.
 */
import type { Page } from 'playwright-core';

interface Expectation {
  status: number;
  procedures: string[];
}

const FAILED_LOAD = /Failed to load resource: the server responded with a status of \d{3}/;

const isApi = (url: string) => new URL(url).pathname.startsWith('/trpc/');
/** `/trpc/auth.me,auth.twoFactor.status?batch=1…` → the batched procedures. */
const proceduresOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice('/trpc/'.length)).split(',');

export function watchApiRejections(page: Page) {
  let expectations: Expectation[] = [];
  const expectedUrls = new Set<string>();
  const unexpected: string[] = [];
  const failedLoads: { text: string; url: string }[] = [];

  page.on('response', (response) => {
    const url = response.url();
    if (!isApi(url) || response.status() < 400) return;
    const expected = expectations.some(
      ({ status, procedures }) => status === response.status() && proceduresOf(url).every((procedure) => procedures.includes(procedure)),
    );
    if (expected) expectedUrls.add(url);
    else unexpected.push(`unexpected ${response.status()} from ${new URL(url).pathname}`);
  });

  return {
    /** Runs `body` with `status` answers from `procedures` (all of a batch's) expected. */
    async expecting(status: number, procedures: string[], body: () => Promise<void>): Promise<void> {
      const expectation = { status, procedures };
      expectations.push(expectation);
      try {
        await body();
      } finally {
        expectations = expectations.filter((candidate) => candidate !== expectation);
      }
    },
    /** Console errors are judged at the end: Chromium may log the failed load before the response event arrives. */
    consoleError(text: string, url: string | undefined): boolean {
      if (url === undefined || !FAILED_LOAD.test(text) || !isApi(url)) return false;
      failedLoads.push({ text, url });
      return true;
    },
    /** Unexpected API rejections so far, from responses and from Chromium's console. */
    errors(): string[] {
      const logged = failedLoads.filter(({ url }) => !expectedUrls.has(url)).map(({ text, url }) => `console error: ${text} (${url})`);
      return [...unexpected, ...logged];
    },
  };
}

export type ApiRejections = ReturnType<typeof watchApiRejections>;
