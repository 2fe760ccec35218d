import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { assert, assertNoHorizontalOverflow, landOnAccount, NARROW, screenshot, step, WIDE } from './harness.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export type StartDevServer = (overrides?: NodeJS.ProcessEnv) => Promise<{ baseUrl: string; databaseUrl: () => string; stop: () => Promise<void> }>;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback; the development server may reach it (WEBHOOK_ALLOW_PRIVATE=true). */
async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/bastion`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** axe-core (WCAG 2 A and AA) on what the page shows now; violations fail the step. */
async function checkAccessibility(page: Page, label: string) {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    // Runs in the page, where axe-core put itself on the global object.
    const scope = globalThis as unknown as { axe: { run: (context: unknown, options: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> }; document: unknown };
    const result = await scope.axe.run(scope.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  });
  assert(violations.length === 0, `${label}: axe found ${violations.join('; ')}`);
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The Webhooks page on a development server (the sender may reach loopback there): create an
 * endpoint and copy its secret once, send a test event that a real receiver verifies with the
 * reference implementation, see a contact change arrive, read the delivery log and replay,
 * edit, disable and enable, rotate the secret; axe and screenshots at 1280 and 360 px.
 */
export async function walkWebhooks({ browser, startDevServer }: { browser: Browser; startDevServer: StartDevServer }) {
  const receiver = await startReceiver();
  let server: Awaited<ReturnType<StartDevServer>> | undefined;
  const context = await browser.newContext({ viewport: WIDE, bypassCSP: true });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const dialog = () => page.getByRole('dialog');
  const card = () => page.getByRole('list', { name: 'Endpoints' }).locator(':scope > li').first();
  const toast = (text: string) => page.getByRole('status').filter({ hasText: text }).first();
  let secret = '';
  try {
    await step('webhooks: a development server that may deliver to loopback', async () => {
      server = await startDevServer({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '200' });
    });
    if (!server) return;
    const { baseUrl } = server;

    await step('webhooks: a verified user opens the Webhooks page from the account page', async () => {
      const email = `e2e-webhooks-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
      const password = `Webhook horse ${randomBytes(6).toString('hex')} battery`;
      await page.goto(`${baseUrl}/sign-up`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${baseUrl}/sign-in`);
      // Email verification is another feature's flow; webhooks only read the column.
      const sql = postgres(server!.databaseUrl(), { max: 1, onnotice: () => {} });
      try {
        await sql`update users set email_verified_at = now() where email = ${email}`;
      } finally {
        await sql.end();
      }
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await landOnAccount(page, baseUrl);
      await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
      await page.waitForURL(`${baseUrl}/webhooks`);
      await page.getByText('No endpoints yet').waitFor();
      await checkAccessibility(page, 'empty webhooks page');
    });

    await step('webhooks: a URL with credentials is refused under the URL field', async () => {
      await page.getByRole('button', { name: 'New endpoint' }).first().click();
      await dialog().getByLabel('Endpoint URL').fill('http://user:secret@127.0.0.1/hook');
      await dialog().getByRole('button', { name: 'Add endpoint' }).click();
      await dialog().locator('input[name="url"][aria-invalid="true"]').waitFor();
      const describedBy = (await dialog().getByLabel('Endpoint URL').getAttribute('aria-describedby')) ?? '';
      const message = await page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent();
      assert(message?.includes('user name or password'), `the URL field says "${message}"`);
      await checkAccessibility(page, 'endpoint form with an error');
    });

    await step('webhooks: a new endpoint shows its whsec_ secret once, with a copy button', async () => {
      await dialog().getByLabel('Endpoint URL').fill(receiver.url);
      await dialog().getByLabel('Description').fill('CRM sync');
      await dialog().getByRole('button', { name: 'Add endpoint' }).click();
      const shown = dialog().getByTestId('webhook-secret');
      await shown.waitFor();
      secret = (await shown.textContent()) ?? '';
      assert(/^whsec_[A-Za-z0-9+/]+=*$/.test(secret), `the secret looks wrong: ${secret.slice(0, 8)}…`);
      await dialog().getByRole('button', { name: 'Copy secret' }).waitFor();
      await screenshot(page, 'webhooks-secret-1280');
      await checkAccessibility(page, 'secret dialog');
      await dialog().getByRole('button', { name: 'I have stored it' }).click();
      await dialog().waitFor({ state: 'hidden' });
      await card().getByText('Enabled').waitFor();
      await card().getByText('CRM sync').waitFor();
    });

    await step('webhooks: a test event reaches the receiver, signed (checked with standardwebhooks), and a toast says so', async () => {
      await card().getByRole('button', { name: 'Send test' }).click();
      await toast('Test event delivered: HTTP 200').waitFor();
      assert(receiver.received.length === 1, `the receiver got ${receiver.received.length} requests`);
      const [request] = receiver.received;
      const event = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as { type: string };
      assert(event.type === 'webhook.test', `the receiver got ${event.type}`);
    });

    await step('webhooks: a contact created on the contacts page arrives as contact.created', async () => {
      await page.goto(`${baseUrl}/contacts`);
      await page.getByRole('button', { name: 'New contact' }).first().click();
      await dialog().getByLabel('Name').fill('Ada Lovelace');
      await dialog().getByRole('button', { name: 'Add contact' }).click();
      await dialog().waitFor({ state: 'hidden' });
      await until(() => receiver.received.length >= 2, 'the contact.created webhook');
      const event = new Webhook(secret).verify(receiver.received[1]!.body, receiver.received[1]!.headers as Record<string, string>) as { type: string; data: { contact: { name: string } } };
      assert(event.type === 'contact.created' && event.data.contact.name === 'Ada Lovelace', `the receiver got ${JSON.stringify(event)}`);
      await page.goto(`${baseUrl}/webhooks`);
      await card().waitFor();
    });

    await step('webhooks: the delivery log shows status, response code, timing and attempts; replay re-sends with the same webhook-id', async () => {
      await card().getByRole('button', { name: 'Deliveries' }).click();
      const rows = card().getByRole('list', { name: 'Deliveries' }).locator(':scope > li');
      await until(async () => (await rows.count()) === 2, 'two deliveries in the log');
      const text = await rows.allInnerTexts();
      assert(text.every((row) => row.includes('Succeeded') && row.includes('HTTP 200') && / ms/.test(row) && row.includes('1 attempt')), `the log reads ${JSON.stringify(text)}`);
      const firstId = String(receiver.received[1]!.headers['webhook-id']);
      await rows.first().getByRole('button', { name: /Replay/ }).click();
      await toast('Replay queued').waitFor();
      await until(() => receiver.received.length >= 3, 'the replayed delivery');
      assert(String(receiver.received[2]!.headers['webhook-id']) === firstId, 'the replay came with another webhook-id');
      await rows.first().getByText('2 attempts').waitFor();
      await screenshot(page, 'webhooks-1280');
      await checkAccessibility(page, 'webhooks page with its delivery log');
    });

    await step('webhooks: edit, disable after confirming, enable again', async () => {
      await card().getByRole('button', { name: 'Edit' }).click();
      await dialog().getByLabel('Description').fill('CRM sync (production)');
      await dialog().getByRole('button', { name: 'Save changes' }).click();
      await dialog().waitFor({ state: 'hidden' });
      await toast('Endpoint saved.').waitFor();
      await card().getByText('CRM sync (production)').waitFor();
      await card().getByRole('button', { name: 'Disable' }).click();
      await dialog().getByRole('button', { name: 'Keep it enabled' }).waitFor();
      await checkAccessibility(page, 'disable confirmation');
      await dialog().getByRole('button', { name: 'Disable' }).click();
      await card().getByText('Disabled', { exact: true }).waitFor();
      await card().getByRole('button', { name: 'Enable' }).click();
      await card().getByText('Enabled', { exact: true }).waitFor();
    });

    await step('webhooks: rotating the secret asks first, then shows the new secret once', async () => {
      await card().getByRole('button', { name: 'Rotate secret' }).click();
      await dialog().getByText('For 24 hours the current one signs too').waitFor();
      await dialog().getByRole('button', { name: 'Rotate secret' }).click();
      const shown = dialog().getByTestId('webhook-secret');
      await shown.waitFor();
      const rotated = (await shown.textContent()) ?? '';
      assert(rotated.startsWith('whsec_') && rotated !== secret, 'the rotated secret is not new');
      await dialog().getByRole('button', { name: 'I have stored it' }).click();
      await card().getByRole('button', { name: 'Send test' }).click();
      await toast('Test event delivered').waitFor();
      const last = receiver.received.at(-1)!;
      assert(String(last.headers['webhook-signature']).split(' ').length === 2, 'the overlap does not sign with both secrets');
      new Webhook(rotated).verify(last.body, last.headers as Record<string, string>);
    });

    await step('webhooks: screenshots at 360 px; no horizontal overflow', async () => {
      await page.setViewportSize(NARROW);
      await assertNoHorizontalOverflow(page, '/webhooks');
      await screenshot(page, 'webhooks-360');
      await checkAccessibility(page, 'webhooks page at 360 px');
      await page.getByRole('button', { name: 'New endpoint' }).first().click();
      await dialog().getByLabel('Endpoint URL').waitFor();
      await screenshot(page, 'webhooks-dialog-360');
      await page.keyboard.press('Escape');
      await dialog().waitFor({ state: 'hidden' });
      await page.setViewportSize(WIDE);
      assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    });
  } finally {
    await context.close();
    await server?.stop();
    await receiver.close();
  }
}
