/** Parses CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF, a BOM) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (quoted) {
      if (char === '"' && input[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === '') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && input[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((value) => value.trim() !== ''));
}

export interface CsvContact {
  name?: string;
  email?: string;
  phone?: string;
  company?: string;
  notes?: string;
  tags?: string[];
}

const COLUMNS: Record<string, keyof CsvContact> = {
  name: 'name',
  'full name': 'name',
  email: 'email',
  'e-mail': 'email',
  phone: 'phone',
  telephone: 'phone',
  company: 'company',
  organization: 'company',
  notes: 'notes',
  tags: 'tags',
};

/**
 * Maps a CSV with a header row to contacts. Unknown columns are ignored; tags are separated by
 * commas (the app's one tag separator; quote the cell). Values are sent as they are: the server validates each row and reports per row.
 */
export function contactsFromCsv(text: string): { contacts: CsvContact[]; ignoredColumns: string[] } {
  const [header, ...rows] = parseCsv(text);
  if (!header) return { contacts: [], ignoredColumns: [] };
  const fields = header.map((title) => COLUMNS[title.trim().toLowerCase()]);
  const contacts = rows.map((cells) => {
    const contact: CsvContact = {};
    fields.forEach((field, index) => {
      const value = cells[index]?.trim() ?? '';
      if (!field || value === '') return;
      if (field === 'tags') contact.tags = value.split(',').map((tag) => tag.trim()).filter(Boolean);
      else contact[field] = value;
    });
    return contact;
  });
  return { contacts, ignoredColumns: header.filter((_, index) => !fields[index]) };
}
