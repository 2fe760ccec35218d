/**
 * Browser end-to-end test of the production build: starts the real server (NODE_ENV=production,
 * strict CSP, Secure `__Host-` cookies, embedded PostgreSQL) and walks the web app in Chromium.
 *
 *   pnpm build && node scripts/e2e.ts       (CHROMIUM_PATH overrides /usr/bin/chromium; E2E_ONLY=web-shell runs one walk)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@bastion/db/embedded';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { walkApiKeys } from './e2e/api-keys.ts';
import { walkAssistant } from './e2e/assistant.ts';
import { walkContacts } from './e2e/contacts.ts';
import { walkWebhooks } from './e2e/webhooks.ts';
import { walkConnectedAccounts } from './e2e/connected-accounts.ts';
import { walkWebShell } from './e2e/web-shell.ts';
import { assert, assertNoHorizontalOverflow, isAborted, landOnAccount, NARROW, results, resume, root, screenshot, screenshotDir, signOut, step, WIDE } from './e2e/harness.ts';
import { walkAccountSecurity } from './e2e/account-security.ts';
import { walkCompliance } from './e2e/compliance.ts';
import { watchApiRejections, type ApiRejections } from './e2e/api-rejections.ts';

const READY_TIMEOUT_MS = 60_000;

/**
 * `E2E_ONLY=web-shell,compliance` runs only those walks. `main` is sign-up to sign-out with the
 * contacts, api-keys and assistant walks inside it; naming one of those runs the sign-up and
 * sign-out around it and only that one. All walks by default.
 */
const ONLY = process.env.E2E_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);
const MAIN_PARTS = ['contacts', 'api-keys', 'assistant'];
const WALKS = ['main', ...MAIN_PARTS, 'account-security', 'compliance', 'webhooks', 'web-shell', 'connected-accounts'];
const unknownWalks = ONLY?.filter((name) => !WALKS.includes(name)) ?? [];
if (unknownWalks.length > 0) throw new Error(`E2E_ONLY: unknown walk ${unknownWalks.join(', ')} (known: ${WALKS.join(', ')})`);
const selected = (name: string) => !ONLY || ONLY.includes(name);
const STOP_TIMEOUT_MS = 20_000;

function ensureWebBuild() {
  if (existsSync(path.join(root, 'apps/web/dist/index.html'))) return;
  console.log('apps/web/dist is missing: building the web app');
  const build = spawnSync('pnpm', ['--filter', '@bastion/web', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('pnpm --filter @bastion/web build failed');
}

interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
  /** The embedded database, for steps that stand in for another feature's flow (email verification). */
  databaseUrl: () => string;
}

function startServer(port: number, pgPort: number, dataRoot: string, overrides: NodeJS.ProcessEnv = {}): RunningServer {
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_ORIGIN: baseUrl,
    JWT_SECRETS: `e2e:${randomBytes(32).toString('base64')}`,
    REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64'),
    ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
    AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('base64'),
    PG_DATA_DIR: path.join(dataRoot, 'pg'),
    PG_PORT: String(pgPort),
    LOG_LEVEL: 'warn',
    // One browser signs up and in many times from one address; the rest of the policy table stays as in production.
    RATE_LIMITS: 'auth.register=30/60,auth.login=30/60',
    // Production requires an SMTP server; nothing listens here, so mail jobs just wait to be retried.
    SMTP_URL: 'smtp://127.0.0.1:9',
    ...overrides,
  };
  // The server must start its own embedded database, never reuse one from the caller's shell.
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['apps/server/src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const databaseUrl = () => `postgres://postgres:${encodeURIComponent(readFileSync(path.join(dataRoot, 'pg.password'), 'utf8').trim())}@127.0.0.1:${pgPort}/postgres`;
  return { child, baseUrl, output, databaseUrl };
}

async function waitUntilReady(server: RunningServer) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited with code ${server.child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${server.baseUrl}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`server not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error('server did not stop after SIGTERM; killing it');
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** A part of the main walk: run with `main`, or named on its own. */
const wants = (part: string) => selected('main') || selected(part);

async function walk(page: Page, baseUrl: string, api: ApiRejections) {
  const email = `e2e-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `Correct horse ${randomBytes(6).toString('hex')} battery`;
  const emailField = () => page.getByLabel('Email', { exact: true });
  const passwordField = () => page.getByLabel('Password', { exact: true });

  await step('landing page loads under the production CSP', async () => {
    const response = await page.goto(baseUrl);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert(csp.includes("default-src 'self'"), `expected a strict CSP header, got "${csp}"`);
    const html = (await response?.text()) ?? '';
    assert(!/<script(?![^>]*\ssrc=)[^>]*>/i.test(html), 'index.html has an inline script, which the CSP blocks');
    assert(!/<style|\sstyle=/i.test(html), 'index.html has inline styles, which the CSP blocks');
    await page.getByRole('heading', { level: 1, name: /secured/i }).waitFor();
  });

  await step('a signed-out visit to / and /sign-in asks nothing about the session (no auth.me, no auth.refresh, no 401)', async () => {
    const answers: string[] = [];
    const record = (response: Response) => {
      if (new URL(response.url()).pathname.startsWith('/trpc/')) answers.push(`${response.status()} ${new URL(response.url()).pathname}`);
    };
    page.on('response', record);
    try {
      for (const pathname of ['/', '/sign-in']) {
        await page.goto(`${baseUrl}${pathname}`, { waitUntil: 'networkidle' });
        await page.getByRole('heading', { level: 1 }).waitFor();
      }
    } finally {
      page.off('response', record);
    }
    const sessionChecks = answers.filter((answer) => /auth\.(me|refresh)|^401 /.test(answer));
    assert(sessionChecks.length === 0, `a signed-out visit sent: ${sessionChecks.join(', ')}`);
    await page.goto(baseUrl);
  });

  await step('sign up leads to sign-in with a check-your-inbox notice and the email filled in', async () => {
    await page.getByRole('link', { name: 'Create account' }).first().click();
    await page.waitForURL(`${baseUrl}/sign-up`);
    await page.getByLabel('Name (optional)').fill('Ada Lovelace');
    await emailField().fill(email);
    await passwordField().fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${baseUrl}/sign-in`);
    await page.getByRole('status').filter({ hasText: 'Check your inbox' }).waitFor();
    assert((await emailField().inputValue()) === email, 'the new email is not filled in on the sign-in form');
  });

  await step('sign in shows the account', async () => {
    await passwordField().fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await landOnAccount(page, baseUrl);
    const shown = await page.getByTestId('account-email').textContent();
    assert(shown === email, `account shows "${shown}", expected "${email}"`);
  });

  await step('session cookies are Secure, httpOnly, SameSite=Strict and __Host- prefixed; only the value-less hint is readable', async () => {
    const cookies = await page.context().cookies(baseUrl);
    const find = (name: string) => {
      const cookie = cookies.find((candidate) => candidate.name === name);
      assert(cookie, `cookie ${name} was not stored (have: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
      return cookie;
    };
    for (const name of ['__Host-bastion_at', '__Host-bastion_rt']) {
      const cookie = find(name);
      assert(cookie.secure && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/', `cookie ${name} has weak attributes: ${JSON.stringify(cookie)}`);
    }
    const hint = find('__Host-bastion_session');
    assert(hint.secure && !hint.httpOnly && hint.sameSite === 'Strict' && hint.path === '/', `the session hint has wrong attributes: ${JSON.stringify(hint)}`);
    assert(Math.abs(hint.expires - find('__Host-bastion_rt').expires) <= 5, 'the session hint does not expire with the refresh cookie');
    const readable = String(await page.evaluate('document.cookie'));
    assert(readable === '__Host-bastion_session=1', `JavaScript reads more than the session hint: "${readable}"`);
  });

  await step('the session survives a reload', async () => {
    await page.reload();
    await page.getByTestId('account-email').filter({ hasText: email }).waitFor();
  });

  await step('an expired access token is refreshed transparently', async () => {
    await page.context().clearCookies({ name: '__Host-bastion_at' });
    // The hint says a session exists, so the page asks; the expired access token answers 401 once.
    await api.expecting(401, ['auth.me'], async () => {
      await page.reload();
      await page.getByTestId('account-email').filter({ hasText: email }).waitFor();
    });
    const cookies = await page.context().cookies(baseUrl);
    assert(cookies.some((cookie) => cookie.name === '__Host-bastion_at'), 'no new access cookie after the refresh');
  });

  await step('account page screenshots; no horizontal overflow at 360 px', async () => {
    await screenshot(page, 'account-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/account');
    await screenshot(page, 'account-360');
    await page.setViewportSize(WIDE);
  });

  if (wants('contacts')) await walkContacts(page, baseUrl, api);
  if (wants('api-keys')) await walkApiKeys(page, baseUrl);

  await step('sign out lands on sign-in, and the account is then out of reach', async () => {
    await signOut(page);
    await page.waitForURL(`${baseUrl}/sign-in`);
    await page.getByRole('status').filter({ hasText: 'You have signed out' }).waitFor();
    // The device cookie stays on purpose: it marks this browser as one that signed in before
    // (the account ceiling lets it through, ADR 011); it holds no session.
    const cookies = (await page.context().cookies(baseUrl)).filter((cookie) => cookie.name !== '__Host-bastion_device');
    assert(cookies.length === 0, `cookies left after signing out: ${cookies.map((c) => c.name).join(', ')}`);
    await page.goto(`${baseUrl}/account`);
    // Sent to sign in, with the way back to the page asked for.
    await page.waitForURL(`${baseUrl}/sign-in?next=%2Faccount`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  await step('sign-in screenshots; no page overflows at 360 px', async () => {
    await screenshot(page, 'sign-in-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/sign-in');
    await screenshot(page, 'sign-in-360');
    for (const pathname of ['/', '/sign-up']) {
      await page.goto(`${baseUrl}${pathname}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await assertNoHorizontalOverflow(page, pathname);
    }
    await page.setViewportSize(WIDE);
  });

  await step('a wrong password shows an error with the form (keyboard only)', async () => {
    await page.goto(`${baseUrl}/sign-in`);
    await emailField().fill(email);
    await passwordField().fill(`${password}-wrong`);
    await api.expecting(401, ['auth.login'], async () => {
      await passwordField().press('Enter');
      const alert = page.locator('form').getByRole('alert');
      await alert.filter({ hasText: 'The email or password is incorrect.' }).waitFor();
    });
    assert(page.url() === `${baseUrl}/sign-in`, `left the sign-in page for ${page.url()}`);
  });

  await step('signing up again with the same email answers like a new sign-up: nothing says the account exists', async () => {
    await page.goto(`${baseUrl}/sign-up`);
    await emailField().fill(email);
    await passwordField().fill(password);
    // No API rejection is expected: the answer is the same 200 as for a new address.
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${baseUrl}/sign-in`);
    await page.getByRole('status').filter({ hasText: 'Check your inbox' }).waitFor();
    assert((await page.getByText('already exists').count()) === 0, 'the page says the account already exists');
  });
}

/** A development-mode server of the same build, for walks that need development-only pages. */
async function startDevServer(overrides: NodeJS.ProcessEnv = {}): Promise<{ baseUrl: string; mailboxUrl: string; databaseUrl: () => string; stop: () => Promise<void> }> {
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'bastion-e2e-dev-'));
  chmodSync(dataRoot, 0o711);
  // No SMTP_URL: mail goes to the outbox shown at /dev/mailbox, which asks for the key of the link
  // a development server prints (here chosen, as `pnpm dev` does).
  const mailboxKey = randomBytes(18).toString('base64url');
  const server = startServer(await freePort(), await freePort(), dataRoot, { NODE_ENV: 'development', SMTP_URL: '', DEV_MAILBOX_KEY: mailboxKey, ...overrides });
  const stop = async () => {
    await stopServer(server.child);
    rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: server.baseUrl, mailboxUrl: `${server.baseUrl}/dev/mailbox?key=${mailboxKey}`, databaseUrl: server.databaseUrl, stop };
}

async function main(): Promise<number> {
  ensureWebBuild();
  mkdirSync(screenshotDir, { recursive: true });
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'bastion-e2e-'));
  // As root the embedded database runs as `postgres`, which must be able to enter this directory.
  chmodSync(dataRoot, 0o711);
  const server = startServer(await freePort(), await freePort(), dataRoot);
  let browser: Browser | undefined;
  const browserErrors: string[] = [];
  try {
    await step('server starts and becomes ready', () => waitUntilReady(server));
    if (!isAborted()) {
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage({ viewport: WIDE });
      const api = watchApiRejections(page);
      page.on('pageerror', (error) => browserErrors.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error' || api.consoleError(message.text(), message.location().url)) return;
        browserErrors.push(`console error: ${message.text()} (${message.location().url || 'no url'})`);
      });
      if (selected('main') || MAIN_PARTS.some(selected)) {
        await walk(page, server.baseUrl, api);
        if (wants('assistant')) await walkAssistant(page, server.baseUrl, server.databaseUrl());
      }
      resume(); // each walk and the error check below are independent of how far the previous got
      if (selected('account-security')) {
        await walkAccountSecurity({ browser, productionUrl: server.baseUrl, startDevServer, step, assert, screenshot, assertNoHorizontalOverflow, viewports: { NARROW, WIDE } });
      }
      resume();
      if (selected('compliance')) await walkCompliance(browser, server.baseUrl, server.databaseUrl());
      if (selected('webhooks')) await walkWebhooks({ browser, startDevServer });
      resume();
      if (selected('web-shell')) await walkWebShell({ browser, startDevServer });
      resume();
      if (selected('connected-accounts')) await walkConnectedAccounts({ browser, startDevServer });
      resume();
      await step('no console errors, page errors (CSP violations included) or unexpected API rejections', async () => {
        const errors = [...browserErrors, ...api.errors()];
        assert(errors.length === 0, errors.join('\n'));
      });
    }
  } finally {
    await browser?.close();
    await stopServer(server.child);
    rmSync(dataRoot, { recursive: true, force: true });
  }

  const failed = results.filter((result) => result.error !== undefined).length;
  if (failed > 0 && server.output.length > 0) console.log(`\nserver output (last 40 lines):\n${server.output.slice(-40).join('\n')}`);
  console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('e2e: could not run:', error);
    console.log(`e2e: ${results.filter((r) => !r.error).length} passed, ${results.filter((r) => r.error).length + 1} failed`);
    process.exit(1);
  },
);
