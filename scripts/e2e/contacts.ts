import type { Page } from 'playwright-core';
import type { ApiRejections } from './api-rejections.ts';
import { readFileSync } from 'node:fs';
import { assert, assertNoHorizontalOverflow, axeViolations, NARROW, openAccountMenu, screenshot, step, WIDE } from './harness.ts';

/**
 * Contacts: create, duplicate email, CSV import preview/confirm/report, debounced search, tag
 * filter, infinite scroll, sort and filters in the URL, phone search, detail with history,
 * unsaved-changes prompt, bulk tag and delete, CSV export, undo import, edit, delete.
 */
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
    // Escape with typed values asks before throwing them away.
    await page.keyboard.press('Escape');
    await dialog().getByRole('button', { name: 'Discard changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
  });

  await step('contacts: a CSV import reports each row that was not imported', async () => {
    const lines = ['name,email,company,tags'];
    for (let i = 1; i <= 40; i++) lines.push(`Person ${String(i).padStart(2, '0')},person${i}@example.com,"Acme, Inc.",${i % 2 ? 'odd' : 'even'}`);
    lines.push('Grace Twin,grace@navy.example,,'); // already a contact
    lines.push(',nameless@example.com,,'); // invalid: no name
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await dialog().getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    // A preview first: nothing is written until Confirm.
    await dialog().getByRole('status').filter({ hasText: 'Ready to import: 40 new, 1 duplicates (skipped), 1 invalid (skipped).' }).waitFor();
    await dialog().getByRole('table', { name: 'First rows of the file' }).getByText('Person 01').waitFor();
    assert((await dialog().getByRole('link', { name: 'Download a template' }).getAttribute('href')) === '/contacts-template.csv', 'no template link');
    await screenshot(page, 'contacts-import-preview-1280');
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/contacts import preview');
    await screenshot(page, 'contacts-import-preview-360');
    await page.setViewportSize(WIDE);
    await dialog().getByRole('button', { name: 'Confirm import' }).click();
    await dialog().getByRole('status').filter({ hasText: '40 imported, 1 duplicates skipped, 1 invalid.' }).waitFor();
    await page.getByTestId('toast').filter({ hasText: '40 contacts imported.' }).waitFor();
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

  await step('contacts: editing a contact updates its row, with a toast', async () => {
    await page.getByRole('button', { name: 'Edit Grace Hopper' }).click();
    await dialog().getByLabel('Company').fill('US Navy');
    await dialog().getByLabel('Phone').fill('+1 (555) 010-9999');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await rows().filter({ hasText: 'US Navy' }).waitFor();
    await page.getByTestId('toast').filter({ hasText: 'Grace Hopper saved.' }).waitFor();
  });

  await step('contacts: closing a dialog with edits asks first', async () => {
    await page.getByRole('button', { name: 'Edit Grace Hopper' }).click();
    await dialog().getByLabel('Company').fill('Unsaved Co');
    await page.keyboard.press('Escape');
    await dialog().getByRole('alert').filter({ hasText: 'Discard your changes?' }).waitFor();
    await dialog().getByRole('button', { name: 'Keep editing' }).click();
    assert((await dialog().getByLabel('Company').inputValue()) === 'Unsaved Co', 'the edit was lost');
    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().getByRole('button', { name: 'Discard changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await rows().filter({ hasText: 'US Navy' }).waitFor();
  });

  await step('contacts: the total, a sort in the URL, and the back button', async () => {
    await page.getByText('41 contacts', { exact: true }).waitFor();
    await page.getByLabel('Sort by').selectOption({ label: 'Name, Z to A' });
    await page.waitForURL(`${baseUrl}/contacts?sort=name.desc`);
    await rows().first().filter({ hasText: 'Person 40' }).waitFor();
    await page.goBack();
    await page.waitForURL(`${baseUrl}/contacts`);
    await rows().first().filter({ hasText: 'Grace Hopper' }).waitFor();
    // A shared link opens the same view.
    await page.goto(`${baseUrl}/contacts?tag=odd&sort=name.desc`);
    await rows().first().filter({ hasText: 'Person 39' }).waitFor();
    assert((await page.getByRole('searchbox', { name: 'Tag' }).inputValue()) === 'odd', 'the tag box does not show the URL filter');
    await page.getByText('20 contacts match').waitFor();
    await page.goto(`${baseUrl}/contacts`);
  });

  await step('contacts: search matches phone numbers whatever their formatting; "Clear filters" on no match', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).fill('555 0109');
    await rowCount(1);
    await rows().filter({ hasText: 'Grace Hopper' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('nobody by this name');
    await page.getByText('No contacts match').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rowCount((n) => n >= 20);
    assert((await page.getByRole('searchbox', { name: 'Search' }).inputValue()) === '', 'the search box was not cleared');
  });

  await step('contacts: the detail view links email and phone and lists recent changes', async () => {
    await rows().filter({ hasText: 'Grace Hopper' }).getByRole('button', { name: 'Grace Hopper', exact: true }).click();
    await page.waitForURL(/\/contacts\?contact=/);
    await dialog().getByRole('link', { name: 'grace@navy.example' }).waitFor();
    assert((await dialog().getByRole('link', { name: 'grace@navy.example' }).getAttribute('href')) === 'mailto:grace@navy.example', 'no mailto link');
    assert((await dialog().getByRole('link', { name: '+1 (555) 010-9999' }).getAttribute('href')) === 'tel:+15550109999', 'no tel link');
    const changes = dialog().getByRole('list', { name: 'Recent changes' });
    await changes.getByText(/^Changed .*company/).waitFor();
    await changes.getByText('Created').waitFor();
    await screenshot(page, 'contacts-detail-1280');
    const detailUrl = page.url();
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/contacts detail');
    await screenshot(page, 'contacts-detail-360');
    await page.setViewportSize(WIDE);
    const violations = await axeViolations(page, detailUrl, async (checked) => {
      await checked.getByRole('list', { name: 'Recent changes' }).waitFor();
    });
    const serious = violations.filter((v) => /\((serious|critical)\)/.test(v));
    assert(serious.length === 0, `axe on the contact detail:\n${serious.join('\n')}`);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    await page.waitForURL(`${baseUrl}/contacts`);
  });

  await step('contacts: bulk tag and bulk delete the selected contacts, with a confirmation', async () => {
    await page.getByRole('checkbox', { name: 'Select Person 01' }).check();
    await page.getByRole('checkbox', { name: 'Select Person 02' }).check();
    const bar = page.getByRole('region', { name: 'Selected contacts' });
    await bar.getByText('2 selected').waitFor();
    await bar.getByLabel('Tags for the selected contacts').fill('vip, q3');
    await bar.getByRole('button', { name: 'Add tag' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Tagged 2 contacts.' }).waitFor();
    await page.setViewportSize(NARROW);
    await assertNoHorizontalOverflow(page, '/contacts with a selection');
    await screenshot(page, 'contacts-selection-360');
    await page.setViewportSize(WIDE);
    await page.getByRole('searchbox', { name: 'Tag' }).fill('vip');
    await rowCount(2);
    await page.getByRole('checkbox', { name: 'Select all shown' }).check();
    await bar.getByRole('button', { name: 'Delete…' }).click();
    await dialog().getByRole('button', { name: 'Delete 2 contacts' }).click();
    await page.getByTestId('toast').filter({ hasText: '2 contacts deleted.' }).waitFor();
    await page.getByText('No contacts match').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rowCount((n) => n >= 20);
  });

  await step('contacts: CSV export of the current filter (UTF-8 with BOM)', async () => {
    await page.getByRole('searchbox', { name: 'Tag' }).fill('even');
    await rowCount(19);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const file = await download.path();
    const bytes = readFileSync(file);
    assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'the export has no UTF-8 BOM');
    const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
    assert(lines[0] === 'name,email,phone,company,tags,notes,createdAt,updatedAt', `unexpected header ${lines[0]}`);
    assert(lines.length === 20 && lines.slice(1).every((line) => line.includes('even')), `the export is not the filter: ${lines.length - 1} rows`);
    await page.getByRole('searchbox', { name: 'Tag' }).fill('');
    await rowCount((n) => n >= 20);
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
    // Dark mode is a class on <html> (set from the preference); the page must follow it.
    await page.evaluate(`document.documentElement.classList.add('dark')`);
    await page.waitForTimeout(300); // colour transitions settle
    await screenshot(page, 'contacts-dark-360');
    await page.evaluate(`document.documentElement.classList.remove('dark')`);
    await page.setViewportSize(WIDE);
  });

  await step('contacts: the last import can be undone (its unchanged contacts only)', async () => {
    const banner = page.getByRole('region', { name: 'Last import' });
    await banner.getByRole('button', { name: 'Undo import' }).click();
    await page.getByTestId('toast').filter({ hasText: /Import undone: 37 contacts removed/ }).waitFor();
    await page.getByText('1 contact', { exact: true }).waitFor();
    await rows().filter({ hasText: 'Grace Hopper' }).waitFor();
    await openAccountMenu(page);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.waitForURL(`${baseUrl}/account`);
  });
}
