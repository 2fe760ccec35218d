import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Page } from 'playwright-core';
import { assert, assertNoHorizontalOverflow, axeViolations, NARROW, screenshot, step, WIDE } from './harness.ts';

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
    await page.waitForURL(`${baseUrl}/contacts`);
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

  await step('assistant: replies render Markdown safely (code, emphasis; raw HTML stays text)', async () => {
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Render **bold** and `npm test` <b id="raw">raw</b>');
    await composer.press('Enter');
    const reply = log.getByTestId('message-assistant').filter({ hasText: 'Render' });
    await reply.locator('strong', { hasText: 'bold' }).waitFor();
    await reply.locator('code', { hasText: 'npm test' }).waitFor();
    assert((await reply.locator('b, #raw').count()) === 0, 'raw HTML from a reply became an element');
    await log.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
    assert((await reply.innerText()).includes('<b id="raw">raw</b>'), 'raw HTML from a reply is not shown as text');
  });

  await step('assistant: screenshots; the log scrolls inside a fixed height with the composer in view at 360 px', async () => {
    await screenshot(page, 'assistant-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/assistant');
    const section = page.getByRole('region', { name: 'Assistant' });
    await section.scrollIntoViewIfNeeded();
    const box = await section.boundingBox();
    const composer = await page.getByLabel('Message', { exact: true }).boundingBox();
    const send = await page.getByRole('button', { name: 'Send' }).boundingBox();
    assert(box && composer && send, 'the assistant panel is not laid out');
    assert(box.height <= NARROW.height, `the assistant panel is ${box.height} px tall at a ${NARROW.height} px viewport`);
    assert(send.y + send.height <= box.y + box.height + 1 && composer.y >= box.y, 'the composer is outside the panel');
    assert(send.height >= 40, `the Send button is ${send.height} px tall`);
    // A string, not a function: this file is typechecked without the DOM library.
    const overflow = String(await page.evaluate(`getComputedStyle(document.querySelector('[role="log"]')).overflowY`));
    assert(overflow === 'auto', `the log does not scroll on its own (overflow-y: ${overflow})`);
    await screenshot(page, 'assistant-360');
    await page.evaluate(`document.documentElement.classList.add('dark')`);
    await page.waitForTimeout(300); // colour transitions settle
    await screenshot(page, 'assistant-dark-360');
    await page.evaluate(`document.documentElement.classList.remove('dark')`);
    await page.setViewportSize(WIDE);
    const violations = await axeViolations(page, `${baseUrl}/assistant`, async (checked) => {
      await checked.getByTestId('assistant-quota').filter({ hasText: 'left this minute' }).waitFor();
    });
    const serious = violations.filter((v) => /\((serious|critical)\)/.test(v));
    assert(serious.length === 0, `axe on the assistant:\n${serious.join('\n')}`);
  });

  await step('assistant: when rate-limited, a live countdown replaces Send until the window passes', async () => {
    const composer = page.getByLabel('Message', { exact: true });
    const countdown = page.getByTestId('rate-limit-countdown');
    for (let i = 0; i < 12 && !(await countdown.isVisible()); i++) {
      await composer.fill(`Message number ${i}`);
      await composer.press('Enter');
      await log
        .getByTestId('message-assistant')
        .filter({ hasText: `Message number ${i}` })
        .or(countdown)
        .first()
        .waitFor();
      // The streaming bubble matches too: wait for the reply to finish before the next message.
      await log.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
    }
    await countdown.waitFor();
    const seconds = async () => Number(/in (\d+) second/.exec(await countdown.innerText())?.[1]);
    const first = await seconds();
    assert(first > 0 && first <= 60, `the countdown says ${first} seconds`);
    assert(await page.getByRole('button', { name: 'Send' }).isDisabled(), 'Send is enabled while rate-limited');
    await page.waitForTimeout(2100);
    const later = await seconds();
    assert(later < first, `the countdown does not tick (${first} → ${later})`);
    assert((await composer.inputValue()).startsWith('Message number'), 'the refused message was not given back to the composer');
    await screenshot(page, 'assistant-rate-limited-1280');
  });

  await step('assistant: a new conversation starts empty; the old one reopens from the list', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByText('Ask anything to start a conversation.').waitFor();
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'Hello from the browser', exact: true }).click();
    await log.getByTestId('message-user').filter({ hasText: 'Hello from the browser' }).waitFor();
    await log.getByTestId('message-assistant').filter({ hasText: 'You said: "Hello from the browser"' }).waitFor();
  });

  await step('assistant: deleting the conversation asks first, then empties the list', async () => {
    await page.getByRole('button', { name: 'Delete conversation “Hello from the browser”' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this conversation?' });
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'Hello from the browser', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete conversation “Hello from the browser”' }).click();
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/assistant delete confirmation');
    await screenshot(page, 'assistant-delete-360');
    await page.setViewportSize(WIDE);
    await confirm.getByRole('button', { name: 'Delete conversation' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Conversation deleted.' }).waitFor();
    await page.getByText('No conversations yet.').waitFor();
    await page.getByText('Ask anything to start a conversation.').waitFor();
  });
}
