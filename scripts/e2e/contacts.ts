import type { Page } from 'playwright-core';
import type { ApiRejections } from './api-rejections.ts';
import { assert, assertNoHorizontalOverflow, NARROW, screenshot, step, WIDE } from './harness.ts';

/** Contacts: create, duplicate email, CSV import report, debounced search, tag filter, infinite scroll, edit, delete. */
export async function walkContacts(page: Page, baseUrl: string, api: ApiRejections) {
  const rows = () => page.getByRole('list', { name: 'Contacts' }).locator(':scope > li');
  const dialog = () => page.getByRole('dialog');
  // Polled from here: the CSP forbids the string evaluation page.waitForFunction uses.
  const rowCount = async (expected: number | ((count: number) => boolean)) => {
    const matches = typeof expected === 'number' ? (count: number) => count === expected : expected;
    const deadline = Date.now() + 10_000;
    let count = await rows().count();
    while (!matches(count) && Date.now() < deadline) {
      await page.waitForTimeout(50);
      count = await rows().count();
    }
    assert(matches(count), `the list shows ${count} contacts, expected ${expected}`);
  };

  await step('contacts: the header links to an empty contact list', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.waitForURL(`${baseUrl}/contacts`);
    await page.getByText('No contacts yet').waitFor();
  });

  await step('contacts: a new contact appears in the list', async () => {
    await page.getByRole('button', { name: 'New contact' }).first().click();
    await dialog().getByLabel('Name').fill('Grace Hopper');
    await dialog().getByLabel('Email').fill('grace@navy.example');
    await dialog().getByLabel('Tags').fill('Navy, pioneer');
    await dialog().getByRole('button', { name: 'Add contact' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await rows().filter({ hasText: 'Grace Hopper' }).waitFor();
  });

  await step('contacts: a duplicate email is reported next to the email field', async () => {
    await page.getByRole('button', { name: 'New contact' }).first().click();
    await dialog().getByLabel('Name').fill('Grace again');
    await dialog().getByLabel('Email').fill('GRACE@navy.example');
    await api.expecting(409, ['contacts.create'], async () => {
      await dialog().getByRole('button', { name: 'Add contact' }).click();
      await dialog().locator('input[name="email"][aria-invalid="true"]').waitFor();
    });
    const describedBy = (await dialog().getByLabel('Email').getAttribute('aria-describedby')) ?? '';
    const message = await page.locator(`[id="${describedBy.split(' ')[0]}"]`).textContent();
    assert(message?.includes('already have a contact'), `the email field says "${message}"`);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
  });

  await step('contacts: a CSV import reports each row that was not imported', async () => {
    const lines = ['name,email,company,tags'];
    for (let i = 1; i <= 40; i++) lines.push(`Person ${String(i).padStart(2, '0')},person${i}@example.com,"Acme, Inc.",${i % 2 ? 'odd' : 'even'}`);
    lines.push('Grace Twin,grace@navy.example,,'); // already a contact
    lines.push(',nameless@example.com,,'); // invalid: no name
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await dialog().getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await dialog().getByRole('status').filter({ hasText: '40 imported, 1 duplicates skipped, 1 invalid.' }).waitFor();
    const report = await dialog().getByRole('table').innerText();
    assert(report.includes('42') && /already in your contacts/i.test(report), `the duplicate row is not reported: ${report}`);
    assert(report.includes('43') && /name/i.test(report), `the invalid row is not reported: ${report}`);
    await screenshot(page, 'contacts-import-1280');
    await dialog().getByRole('button', { name: 'Close' }).click();
  });

  await step('contacts: the list scrolls in more pages', async () => {
    await rows().first().waitFor();
    const first = await rows().count();
    assert(first === 20, `the first page shows ${first} contacts, expected 20`);
    await page.getByRole('button', { name: 'Load more' }).scrollIntoViewIfNeeded();
    await rowCount((n) => n > 20);
    await page.getByRole('button', { name: 'Load more' }).scrollIntoViewIfNeeded();
    await rowCount(41);
  });

  await step('contacts: search narrows the list after a pause in typing', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).pressSequentially('person 1', { delay: 30 });
    await rowCount(10);
    const names = await rows().allInnerTexts();
    assert(names.every((text) => /Person 1\d/.test(text)), `unexpected matches: ${names.join(' | ')}`);
  });

  await step('contacts: a tag filters the list, alone and with the search', async () => {
    await page.getByRole('searchbox', { name: 'Tag' }).fill('odd');
    await rowCount(5);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('searchbox', { name: 'Tag' }).fill('');
    await rows().filter({ hasText: 'Grace Hopper' }).getByRole('button', { name: 'pioneer' }).click();
    await rowCount(1);
    await page.getByRole('searchbox', { name: 'Tag' }).fill('');
    await rowCount((n) => n >= 20); // the unfiltered pages, as loaded before
  });

  await step('contacts: editing a contact updates its row', async () => {
    await page.getByRole('button', { name: 'Edit Grace Hopper' }).click();
    await dialog().getByLabel('Company').fill('US Navy');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await rows().filter({ hasText: 'US Navy' }).waitFor();
  });

  await step('contacts: deleting a contact asks once, then removes it', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).fill('person 07');
    await rowCount(1);
    await page.getByRole('button', { name: 'Edit Person 07' }).click();
    await dialog().getByRole('button', { name: 'Delete' }).click();
    await dialog().getByRole('button', { name: 'Yes, delete' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await page.getByText('No contacts match').waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await rows().nth(19).waitFor();
  });

  await step('contacts: screenshots; no horizontal overflow at 360 px', async () => {
    await screenshot(page, 'contacts-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/contacts');
    await screenshot(page, 'contacts-360');
    await page.getByRole('button', { name: 'New contact' }).first().click();
    await assertNoHorizontalOverflow(page, '/contacts dialog');
    await screenshot(page, 'contacts-dialog-360');
    await page.keyboard.press('Escape');
    await page.setViewportSize(WIDE);
    await page.getByRole('link', { name: 'Account' }).or(page.getByRole('link', { name: /Ada Lovelace/ })).first().click();
    await page.waitForURL(`${baseUrl}/account`);
  });
}
