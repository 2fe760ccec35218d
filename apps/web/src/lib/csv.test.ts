import { describe, expect, it } from 'vitest';
import { contactsFromCsv, parseCsv } from './csv.ts';

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"multi\nline",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
  });

  it('skips blank lines and keeps a last line without a newline', () => {
    expect(parseCsv('a\n\n  \nb')).toEqual([['a'], ['b']]);
  });
});

describe('contactsFromCsv', () => {
  it('maps known headers, splits tags and reports ignored columns', () => {
    const { contacts, ignoredColumns } = contactsFromCsv('Name,E-mail,Tags,Favourite colour\nAda,ada@example.com,"math, history",blue\nGrace,,,\n');
    expect(contacts).toEqual([{ name: 'Ada', email: 'ada@example.com', tags: ['math', 'history'] }, { name: 'Grace' }]);
    expect(ignoredColumns).toEqual(['Favourite colour']);
  });
});
