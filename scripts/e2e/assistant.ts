import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Page } from 'playwright-core';
import { assert, assertNoHorizontalOverflow, NARROW, screenshot, step, WIDE } from './harness.ts';

/**
 * The assistant page on the local provider: a verified user streams a reply, sees the quota
 * drop, reopens and deletes the conversation. Email verification belongs to another feature, so
 * this walk marks its user verified in the database directly.
 */
export async function walkAssistant(page: Page, baseUrl: string, databaseUrl: string) {
  const email = `e2e-assistant-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `Assistant horse ${randomBytes(6).toString('hex')} battery`;
  const log = page.getByRole('log', { name: 'Conversation' });

  await step('assistant: a verified user signs in and opens the assistant from the header', async () => {
    await page.goto(`${baseUrl}/sign-up`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${baseUrl}/sign-in`);
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const updated = await sql`update users set email_verified_at = now() where email = ${email}`;
      assert(updated.count === 1, `expected to verify one user, verified ${updated.count}`);
    } finally {
      await sql.end();
    }
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/account`);
    await page.getByRole('link', { name: 'Assistant', exact: true }).click();
    await page.waitForURL(`${baseUrl}/assistant`);
    await page.getByTestId('local-provider-badge').waitFor();
    await page.getByText('No conversations yet.').waitFor();
    await page.getByTestId('assistant-quota').filter({ hasText: '10 requests left this minute' }).waitFor();
  });

  await step('assistant: a message streams its reply over server-sent events (keyboard only)', async () => {
    const streamRequest = page.waitForRequest((request) => request.url().includes('/trpc/assistant.chatStream'));
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Hello from the browser');
    await composer.press('Enter');
    const request = await streamRequest;
    assert((await request.allHeaders())['accept']?.includes('text/event-stream'), 'the reply was not requested as an event stream');
    await log.getByTestId('message-assistant').filter({ hasText: 'You said: "Hello from the browser"' }).waitFor();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'Hello from the browser', exact: true }).waitFor();
    await page.getByTestId('assistant-quota').filter({ hasText: '9 requests left this minute' }).waitFor();
    const input = JSON.parse(new URL(request.url()).searchParams.get('input') ?? '{}') as { requestId?: string };
    assert(/^[0-9a-f-]{36}$/.test(input.requestId ?? ''), 'the message was sent without a request id');
    // A reconnecting EventSource re-sends the same URL: it gets the stored reply and is not charged again.
    const tokens = async () => {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<{ tokens: number }[]>`select t.tokens from assistant_token_usage t join users u on u.id = t.user_id where u.email = ${email}`;
        return row?.tokens;
      } finally {
        await sql.end();
      }
    };
    const charged = await tokens();
    const replay = await page.evaluate(async (url) => (await fetch(url, { headers: { accept: 'text/event-stream' } })).text(), request.url());
    assert(replay.includes('"type":"done"') && replay.includes('You said: \\"Hello from the browser\\"'), 'the replayed stream did not end with the stored reply');
    assert(charged !== undefined && (await tokens()) === charged, 'the replayed stream was charged again');
  });

  await step('assistant: screenshots; no horizontal overflow at 360 px', async () => {
    await screenshot(page, 'assistant-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/assistant');
    await screenshot(page, 'assistant-360');
    await page.setViewportSize(WIDE);
  });

  await step('assistant: a new conversation starts empty; the old one reopens from the list', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByText('Ask anything to start a conversation.').waitFor();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'Hello from the browser', exact: true }).click();
    await log.getByTestId('message-user').filter({ hasText: 'Hello from the browser' }).waitFor();
    assert((await log.getByTestId('message-assistant').count()) === 1, 'the reopened conversation does not show its one reply');
  });

  await step('assistant: deleting the conversation empties the list', async () => {
    await page.getByRole('button', { name: 'Delete conversation “Hello from the browser”' }).click();
    await page.getByText('No conversations yet.').waitFor();
    await page.getByText('Ask anything to start a conversation.').waitFor();
  });
}
