import type { Page } from 'playwright-core';
import { assert, assertNoHorizontalOverflow, axeViolations, NARROW, screenshot, step, WIDE } from './harness.ts';

const KEY = /^bst_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/;

/** API keys: create (validated), shown once, used by a service over REST, listed with last use, revoked after a confirmation; the API docs. */
export async function walkApiKeys(page: Page, baseUrl: string) {
  const keyRows = () => page.getByRole('list', { name: 'API keys' }).locator(':scope > li');
  let key = '';
  const rest = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });

  await step('api keys: the account page links to an empty key list', async () => {
    await page.goto(`${baseUrl}/account`);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(`${baseUrl}/account/api-keys`);
    await page.getByText('No API keys yet').waitFor();
  });

  await step('api keys: a name and a permission are required, each said under its field', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    const name = page.getByLabel('Name', { exact: true });
    await page.locator('input[name="name"][aria-invalid="true"]').waitFor();
    assert((await page.evaluate('document.activeElement?.getAttribute("name")')) === 'name', 'focus did not move to the first invalid field');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    assert((await page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent())?.includes('Enter a name'), 'the name field does not say what is missing');
    await page.getByText('Choose at least one permission.').waitFor();
  });

  await step('api keys: a new key is shown once with a warning and a copy button (keyboard only)', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await page.getByLabel('Name', { exact: true }).fill('Nightly digest');
    await page.getByLabel('Read your contacts').focus();
    await page.keyboard.press('Space');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('button', { name: 'Create key' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Copy your new key now' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'only time' }).waitFor();
    key = await page.getByTestId('new-api-key').inputValue();
    assert(KEY.test(key), `the key shown is not bst_<prefix>_<secret>: ${key}`);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByTestId('toast').filter({ hasText: /Copied to the clipboard|Copying failed/ }).waitFor();
    await screenshot(page, 'api-keys-new-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/account/api-keys (new key)');
    await screenshot(page, 'api-keys-new-360');
    await page.setViewportSize(WIDE);
  });

  await step('api keys: a service uses the key over REST with its scope only', async () => {
    const list = await rest('/contacts');
    assert(list.status === 200, `GET /api/v1/contacts answered ${list.status}`);
    const write = await rest('/contacts', { method: 'POST', body: JSON.stringify({ name: 'Not allowed' }) });
    const body = (await write.json()) as { error?: { data?: { reason?: string } } };
    assert(write.status === 403 && body.error?.data?.reason === 'insufficient_scope', `a read-only key could write: ${write.status} ${JSON.stringify(body)}`);
  });

  await step('api keys: the list shows the key with its last use, never its secret', async () => {
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await keyRows().filter({ hasText: 'Nightly digest' }).waitFor();
    // Last use is written within a second or so (batched): reload until it shows.
    const deadline = Date.now() + 10_000;
    while (!(await keyRows().first().innerText()).includes('last used') && Date.now() < deadline) {
      await page.waitForTimeout(500);
      await page.reload();
      await keyRows().first().waitFor();
    }
    const row = await keyRows().first().innerText();
    assert(row.includes('last used') && row.includes('Active') && row.includes('Read your contacts'), `the key row reads: ${row}`);
    assert(!(await page.content()).includes(key.slice(13)), 'the page still holds the secret after it was stored');
    await screenshot(page, 'api-keys-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/account/api-keys');
    await screenshot(page, 'api-keys-360');
    await page.setViewportSize(WIDE);
  });

  await step('api keys: revoking asks first; once confirmed the key is refused', async () => {
    await page.getByRole('button', { name: 'Revoke Nightly digest' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('cannot be undone').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert((await rest('/contacts')).status === 200, 'cancelling revoked the key');
    await page.getByRole('button', { name: 'Revoke Nightly digest' }).click();
    await screenshot(page, 'api-keys-revoke-1280');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('toast').filter({ hasText: 'Revoked “Nightly digest”' }).waitFor();
    await keyRows().filter({ hasText: 'Revoked' }).waitFor();
    const refused = await rest('/contacts');
    assert(refused.status === 401, `a revoked key answered ${refused.status}`);
  });

  await step('api keys: axe finds no WCAG 2.1 A/AA violation (list and form, new key, revoke dialog)', async () => {
    const url = `${baseUrl}/account/api-keys`;
    const list = await axeViolations(page, url, async (checked) => {
      await checked.getByRole('list', { name: 'API keys' }).waitFor();
    });
    const created = await axeViolations(page, url, async (checked) => {
      await checked.getByLabel('Name', { exact: true }).fill('Accessibility check');
      await checked.getByLabel('Read your preferences').check();
      await checked.getByRole('button', { name: 'Create key' }).click();
      await checked.getByRole('heading', { name: 'Copy your new key now' }).waitFor();
    });
    const dialog = await axeViolations(page, url, async (checked) => {
      await checked.getByRole('button', { name: 'Revoke Accessibility check' }).click();
      await checked.getByRole('dialog').getByText('cannot be undone').waitFor();
    });
    const failures = [...list.map((v) => `list: ${v}`), ...created.map((v) => `new key: ${v}`), ...dialog.map((v) => `dialog: ${v}`)];
    assert(failures.length === 0, failures.join('\n'));
  });

  await step('api docs: the page links to Swagger UI served by the app, which renders under the CSP', async () => {
    await page.getByRole('link', { name: 'API documentation' }).click();
    await page.waitForURL(`${baseUrl}/api/docs`);
    await page.getByText('Bastion API', { exact: false }).first().waitFor();
    await page.locator('.opblock').first().waitFor();
    const operations = await page.locator('.opblock').count();
    assert(operations >= 13, `Swagger UI shows ${operations} operations`);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.reload();
    await page.locator('.opblock').first().waitFor();
    const foreign = requests.filter((url) => !url.startsWith(baseUrl) && !url.startsWith('data:'));
    assert(foreign.length === 0, `the docs page loaded from elsewhere: ${foreign.join(', ')}`);
    await screenshot(page, 'api-docs-1280');
    await page.setViewportSize(NARROW);
    await screenshot(page, 'api-docs-360');
    await page.setViewportSize(WIDE);
    await page.goto(`${baseUrl}/account`);
  });
}
