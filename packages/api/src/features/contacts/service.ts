import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { containsPattern, postgresErrorOf, preparedOnce, rawRead, rawStatement, schema, withRetries, withTransaction, type Database } from '@bastion/db';
import { fieldErrorsOf } from '../../errors/error-formatter.ts';
import { AppError } from '../../errors/app-error.ts';
import { contactCreateInput, type ContactCreate, type ContactDto, type ContactUpdate } from './contact.schema.ts';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.ts';
import { recordContactEvents } from './events.ts';
import type { HistoryEntry } from './history.schema.ts';
import type { ImportRowResult, PreviewRowResult } from './import-many.schema.ts';
import type { ListInput } from './list.schema.ts';

/** What the contacts service needs from the request: the database and who is asking. */
export interface Owner {
  db: Database;
  auth: { userId: string };
}

const c = schema.contacts;
const contactImports = schema.contactImports;
const LIMITS = schema.CONTACT_LIMITS;
const { CONTACT_IMPORT_UNDO_SECONDS } = schema;

export const contactColumns = {
  id: c.id,
  name: c.name,
  email: c.email,
  phone: c.phone,
  company: c.company,
  tags: c.tags,
  notes: c.notes,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
};

type ContactRow = Pick<typeof c.$inferSelect, keyof typeof contactColumns>;

/**
 * Timestamps as JavaScript's toISOString writes them, formatted by PostgreSQL: the outbox payload's
 * shape, and the reads' (list, get), which then map no Date per timestamp and back again.
 */
const iso = (column: SQL | AnyPgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The DTO straight from SQL, for the hot reads. */
const contactDtoColumns = { ...contactColumns, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) };

export function toContactDto(row: ContactRow): ContactDto {
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

const notFound = () => new AppError('NOT_FOUND', 'contact_not_found', 'This contact does not exist.');
const emailTaken = () =>
  new AppError('CONFLICT', 'contact_email_taken', 'You already have a contact with this email.', {
    fieldErrors: { email: ['You already have a contact with this email.'] },
  });

/** The per-owner email uniqueness, told apart from other conflicts to point at the field. */
function rethrowEmailTaken(error: unknown): never {
  const pgError = postgresErrorOf(error);
  if (pgError?.code === '23505' && pgError.constraint_name === 'contacts_owner_email_key') throw emailTaken();
  throw error;
}

const owned = (owner: Owner, id: string) => and(eq(c.ownerId, owner.auth.userId), eq(c.id, id));

const CONTACT_DTO_KEYS = ['id', 'name', 'email', 'phone', 'company', 'tags', 'notes', 'createdAt', 'updatedAt'] as const;

/**
 * The contact and its `contact.created` outbox row in one statement (a data-modifying CTE, atomic as
 * any single statement): one round trip where BEGIN, two INSERTs and COMMIT took four.
 */
const preparedCreate = (db: Database) =>
  preparedOnce(db, 'contacts_create', () =>
    rawStatement<ContactDto>(
      db,
      CONTACT_DTO_KEYS,
      sql`with inserted as (
        insert into contacts (owner_id, name, email, phone, company, tags, notes)
        values (${sql.placeholder('ownerId')}::uuid, ${sql.placeholder('name')}, ${sql.placeholder('email')}, ${sql.placeholder('phone')},
                ${sql.placeholder('company')}, coalesce(${sql.placeholder('tags')}::text[], '{}'), ${sql.placeholder('notes')})
        returning id, owner_id, name, email, phone, company, tags, notes, created_at, updated_at
      ), event as (
        insert into outbox_events (type, aggregate_id, owner_id, payload)
        select 'contact.created', id, owner_id, jsonb_build_object('contact', ${contactJson}) from inserted
      )
      select id, name, email, phone, company, tags, notes, ${iso(sql`created_at`)}, ${iso(sql`updated_at`)} from inserted`,
    ),
  );

export async function createContact(owner: Owner, input: ContactCreate): Promise<ContactDto> {
  const create = preparedCreate(owner.db);
  const values = {
    ownerId: owner.auth.userId,
    name: input.name,
    email: input.email ?? null,
    phone: input.phone ?? null,
    company: input.company ?? null,
    tags: input.tags ?? null,
    notes: input.notes ?? null,
  };
  const [contact] = await withRetries(() => create(values)).catch(rethrowEmailTaken);
  return contact!;
}

const preparedGet = (db: Database) =>
  preparedOnce(db, 'contacts_get', () =>
    rawRead(
      db,
      contactDtoColumns,
      db
        .select(contactDtoColumns)
        .from(c)
        .where(and(eq(c.ownerId, sql.placeholder('ownerId')), eq(c.id, sql.placeholder('id'))))
        .limit(1),
    ),
  );

export async function getContact(owner: Owner, id: string): Promise<ContactDto> {
  const [row] = await preparedGet(owner.db)({ ownerId: owner.auth.userId, id });
  if (!row) throw notFound();
  return row;
}

export async function updateContact(owner: Owner, { id, ...patch }: ContactUpdate): Promise<ContactDto> {
  const changed = Object.keys(patch).filter((key) => patch[key as keyof typeof patch] !== undefined);
  if (changed.length === 0) return getContact(owner, id);
  return withTransaction(owner.db, async (tx) => {
    const [row] = await tx
      .update(c)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(owned(owner, id))
      .returning(contactColumns)
      .catch(rethrowEmailTaken);
    if (!row) throw notFound();
    const contact = toContactDto(row);
    await recordContactEvents(tx, owner.auth.userId, [{ type: 'contact.updated', contact, changed }]);
    return contact;
  });
}

export async function deleteContact(owner: Owner, id: string): Promise<void> {
  await withTransaction(owner.db, async (tx) => {
    const [row] = await tx.delete(c).where(owned(owner, id)).returning({ id: c.id });
    if (!row) throw notFound();
    await recordContactEvents(tx, owner.auth.userId, [{ type: 'contact.deleted', id: row.id }]);
  });
}

/** Deletes the owner's contacts among `ids`; ids of other owners or of no contact are skipped. */
export async function deleteContacts(owner: Owner, ids: string[]): Promise<number> {
  return withTransaction(owner.db, async (tx) => {
    const rows = await tx
      .delete(c)
      .where(and(eq(c.ownerId, owner.auth.userId), inArray(c.id, ids)))
      .returning({ id: c.id });
    await recordContactEvents(tx, owner.auth.userId, rows.map((row) => ({ type: 'contact.deleted' as const, id: row.id })));
    return rows.length;
  });
}

// ---------------------------------------------------------------------------------------------
// Listing

/** The sort key as stored in a cursor: lower-cased name, or a timestamp with microseconds. */
const SORT_KEYS = {
  // ICU root collation: "Édith" sorts with E. The expression of `contacts_owner_name_icu_idx`.
  name: {
    expression: sql`(lower(${c.name}) collate "und-x-icu")`,
    text: sql<string>`lower(${c.name})`,
    cast: (key: string | Placeholder) => sql`(${key}::text collate "und-x-icu")`,
  },
  createdAt: {
    expression: sql`${c.createdAt}`,
    text: sql<string>`to_char(${c.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    cast: (key: string | Placeholder) => sql`${key}::timestamptz`,
  },
  updatedAt: {
    expression: sql`${c.updatedAt}`,
    text: sql<string>`to_char(${c.updatedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    cast: (key: string | Placeholder) => sql`${key}::timestamptz`,
  },
} as const;

/**
 * Name, email, company and the phone's digits joined by U+001F, which the API refuses in any
 * input, so a search term cannot match across two fields. Exactly the expression of the trigram
 * index `contacts_search_trgm_idx` (custom migration contacts_search_phone), or the index is not used.
 */
const SEARCH_DOCUMENT = sql`(${c.name} || E'\\x1f' || coalesce(${c.email}, '') || E'\\x1f' || coalesce(${c.company}, '') || E'\\x1f' || regexp_replace(coalesce(${c.phone}, ''), '[^0-9]', '', 'g'))`;

/**
 * A term that could be (part of) a phone number — digits and the formatting a phone field allows —
 * is also searched by its digits alone, so "020 7946" finds "+44 (20) 7946-0000". Null when the
 * digits would search exactly what the term does.
 */
export function phoneDigitsOf(term: string): string | null {
  if (!/^[0-9+()./\s-]+$/.test(term)) return null;
  const digits = term.replace(/[^0-9]/g, '');
  return digits.length > 0 && digits !== term ? digits : null;
}

/** Which statement a list call needs: one per combination, each prepared once per database. */
interface ListShape {
  sort: ListInput['sort'];
  direction: 'asc' | 'desc';
  cursor: boolean;
  search: boolean;
  /** The search term also searched by its digits (phone numbers). */
  phone: boolean;
  tag: boolean;
}

/** The statement's values: literals, or placeholders for a prepared statement. */
type ListValues = {
  ownerId: string | Placeholder;
  cursorKey: string | Placeholder;
  cursorId: string | Placeholder;
  pattern: string | Placeholder;
  digitsPattern: string | Placeholder;
  tag: string | Placeholder;
  limit: number | Placeholder;
};

/** The filters, shared by the page and its count, so `total` counts exactly what the pages show. */
function filterConditions(shape: Omit<ListShape, 'cursor' | 'sort' | 'direction'>, values: ListValues): SQL[] {
  const conditions: SQL[] = [sql`${c.ownerId} = ${values.ownerId}`];
  if (shape.search && shape.phone) {
    conditions.push(sql`(${SEARCH_DOCUMENT} ilike ${values.pattern} escape '\\' or ${SEARCH_DOCUMENT} like ${values.digitsPattern})`);
  } else if (shape.search) conditions.push(sql`${SEARCH_DOCUMENT} ilike ${values.pattern} escape '\\'`);
  if (shape.tag) conditions.push(sql`${c.tags} @> array[${values.tag}]::text[]`);
  return conditions;
}

/**
 * The one definition of the list statement, owner first: every path is served by an index led by
 * owner_id (keyset per sort), the trigram indexes (search) or the tags GIN index.
 */
const listFields = (shape: ListShape) => ({ ...contactDtoColumns, sortKey: SORT_KEYS[shape.sort].text });

function buildListQuery(db: Database, shape: ListShape, values: ListValues) {
  const sortKey = SORT_KEYS[shape.sort];
  const conditions = filterConditions(shape, values);
  if (shape.cursor) {
    conditions.push(sql`(${sortKey.expression}, ${c.id}) ${sql.raw(shape.direction === 'asc' ? '>' : '<')} (${sortKey.cast(values.cursorKey)}, ${values.cursorId}::uuid)`);
  }
  const order = shape.direction === 'asc' ? asc : desc;
  return db
    .select(listFields(shape))
    .from(c)
    .where(and(...conditions))
    .orderBy(order(sortKey.expression), order(c.id))
    .limit(values.limit);
}

/** The count of the owner's contacts matching the filters (the list's `total`). */
function buildCountQuery(db: Database, shape: ListShape, values: ListValues) {
  return db
    .select({ total: sql<number>`count(*)::int` })
    .from(c)
    .where(and(...filterConditions(shape, values)));
}

type ListFilter = Pick<ListInput, 'search' | 'tag' | 'sort' | 'direction'>;

function listCall(ownerId: string, input: ListFilter & { cursor?: string | undefined; limit: number }): { shape: ListShape; values: ListValues } {
  const direction = input.direction ?? (input.sort === 'name' ? 'asc' : 'desc');
  const cursor = input.cursor ? decodeCursor(input.cursor, { sort: input.sort, direction }) : null;
  const digits = input.search ? phoneDigitsOf(input.search) : null;
  return {
    shape: { sort: input.sort, direction, cursor: cursor !== null, search: Boolean(input.search), phone: digits !== null, tag: Boolean(input.tag) },
    values: {
      ownerId,
      cursorKey: cursor?.key ?? '',
      cursorId: cursor?.id ?? '',
      pattern: input.search ? containsPattern(input.search) : '',
      digitsPattern: digits ? `%${digits}%` : '',
      tag: input.tag ?? '',
      limit: input.limit + 1,
    },
  };
}

/** The list statement with its values inlined, as a query builder (the EXPLAIN test, benchmarks). */
export function listQuery(db: Database, ownerId: string, input: ListInput) {
  const { shape, values } = listCall(ownerId, input);
  return { direction: shape.direction, query: buildListQuery(db, shape, values), count: buildCountQuery(db, shape, values) };
}

const PLACEHOLDERS: ListValues = {
  ownerId: sql.placeholder('ownerId'),
  cursorKey: sql.placeholder('cursorKey'),
  cursorId: sql.placeholder('cursorId'),
  pattern: sql.placeholder('pattern'),
  digitsPattern: sql.placeholder('digitsPattern'),
  tag: sql.placeholder('tag'),
  limit: sql.placeholder('limit'),
};

/** Each shape's statement is built once per database: building it cost more than running it. */
const preparedList = (db: Database, shape: ListShape) => {
  const name = `contacts_list_${shape.sort}_${shape.direction}${shape.cursor ? '_after' : ''}${filterName(shape)}`;
  return preparedOnce(db, name, () => rawRead(db, listFields(shape), buildListQuery(db, shape, PLACEHOLDERS)));
};

const filterName = (shape: ListShape) => `${shape.search ? '_search' : ''}${shape.phone ? '_phone' : ''}${shape.tag ? '_tag' : ''}`;

const preparedCount = (db: Database, shape: ListShape) => {
  const name = `contacts_count${filterName(shape)}`;
  return preparedOnce(db, name, () => buildCountQuery(db, shape, PLACEHOLDERS).prepare(name));
};

interface ListPage {
  items: ContactDto[];
  nextCursor: string | null;
  /** On the first page only (no cursor): counting again on every page would cost as much each time. */
  total: number | null;
}

async function listPage(owner: Owner, input: ListFilter & { cursor?: string | undefined; limit: number }, { count }: { count: boolean }): Promise<ListPage> {
  const { shape, values } = listCall(owner.auth.userId, input);
  // One after the other: a request holds at most one pooled connection at a time (ADR 032).
  const rows = await preparedList(owner.db, shape)(values);
  // A first page that is also the last holds every match: no count needed.
  const complete = rows.length <= input.limit;
  const counted = count && !shape.cursor && !complete ? await preparedCount(owner.db, shape).execute(values) : null;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const next: Cursor | null = rows.length > input.limit && last ? { sort: input.sort, direction: shape.direction, key: last.sortKey, id: last.id } : null;
  return {
    items: page.map(({ sortKey: _sortKey, ...contact }) => contact),
    nextCursor: next ? encodeCursor(next) : null,
    total: shape.cursor ? null : complete ? rows.length : (counted?.[0]?.total ?? null),
  };
}

export function listContacts(owner: Owner, input: ListInput): Promise<ListPage> {
  return listPage(owner, input, { count: input.includeTotal === true });
}

/** Rows per page of an export: larger than the API's pages, still one bounded statement each. */
export const EXPORT_PAGE = 500;

/** Every contact matching the filter, in the list's order, a keyset page at a time. */
export async function* allContacts(owner: Owner, filter: ListFilter): AsyncGenerator<ContactDto> {
  let cursor: string | undefined;
  do {
    const page = await listPage(owner, { ...filter, cursor, limit: EXPORT_PAGE }, { count: false });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

// ---------------------------------------------------------------------------------------------
// Import

/** Rows per statement: bounds the statement's size and the time it holds its locks. */
export const IMPORT_CHUNK = 500;

/** A contact as the outbox payload carries it, built in SQL: the same shape as `toContactDto`. */
const contactJson = sql`jsonb_build_object('id', id, 'name', name, 'email', email, 'phone', phone, 'company', company,
  'tags', to_jsonb(tags), 'notes', notes, 'createdAt', ${iso(sql`created_at`)}, 'updatedAt', ${iso(sql`updated_at`)})`;

type Candidate = { index: number; id: string; values: ContactCreate };

/**
 * Validates each row on its own and drops repeats of an email within the file; the rows left are
 * candidates. Shared by the preview and the import, so both judge a file the same way.
 */
type Refused = Extract<ImportRowResult, { status: 'duplicate' | 'invalid' }>;

function screenRows(rows: unknown[]): { results: (Refused | undefined)[]; candidates: Candidate[] } {
  const results: (Refused | undefined)[] = new Array(rows.length);
  const firstByEmail = new Map<string, number>();
  const candidates: Candidate[] = [];
  rows.forEach((row, index) => {
    const parsed = contactCreateInput.safeParse(row);
    if (!parsed.success) {
      const { fieldErrors, formErrors } = fieldErrorsOf(parsed.error);
      results[index] = { index, status: 'invalid', fieldErrors: formErrors.length ? { ...fieldErrors, _: formErrors } : fieldErrors };
      return;
    }
    const email = parsed.data.email?.toLowerCase();
    const earlier = email === undefined ? undefined : firstByEmail.get(email);
    if (earlier !== undefined) {
      results[index] = { index, status: 'duplicate', duplicateOf: earlier };
      return;
    }
    if (email !== undefined) firstByEmail.set(email, index);
    candidates.push({ index, id: randomUUID(), values: parsed.data });
  });
  return { results, candidates };
}

/**
 * What `importContacts` would do with these rows, writing nothing: the same validation, and
 * emails the owner already has (one statement) are duplicates.
 */
export async function previewImport(owner: Owner, rows: unknown[]): Promise<PreviewRowResult[]> {
  const { results, candidates } = screenRows(rows);
  const emails = [...new Set(candidates.flatMap(({ values }) => (values.email ? [values.email.toLowerCase()] : [])))];
  const existing = new Set<string>();
  if (emails.length > 0) {
    const found = await owner.db
      .select({ email: sql<string>`lower(${c.email})` })
      .from(c)
      .where(and(eq(c.ownerId, owner.auth.userId), sql`lower(${c.email}) = any(${sql.param(emails)}::text[])`));
    for (const row of found) existing.add(row.email);
  }
  const preview: PreviewRowResult[] = results.filter((result) => result !== undefined);
  for (const { index, values } of candidates) {
    preview.push(values.email && existing.has(values.email.toLowerCase()) ? { index, status: 'duplicate' } : { index, status: 'new' });
  }
  return preview.sort((a, b) => a.index - b.index);
}

/**
 * Writes each chunk of candidates with ONE statement: a data-modifying CTE inserts the contacts
 * (an email the owner already has is skipped by ON CONFLICT DO NOTHING — a duplicate, not a failed
 * transaction) and their `contact.created` outbox events. Ids are assigned here so each created
 * row maps back to its input row; the chunk travels as one JSON parameter. The contacts carry the
 * import's id (a `contact_imports` row), which `undoImport` deletes by.
 */
export async function importContacts(owner: Owner, rows: unknown[]): Promise<{ importId: string | null; results: ImportRowResult[] }> {
  const screened = screenRows(rows);
  const { candidates } = screened;
  const results: (ImportRowResult | undefined)[] = screened.results;
  const importId = await withTransaction(owner.db, async (tx) => {
    if (candidates.length === 0) return null;
    // The owner's batches past the undo window go in the same statement: nothing else needs them.
    const [batch] = await tx.execute<{ id: string }>(sql`
      with expired as (
        delete from contact_imports
        where owner_id = ${owner.auth.userId}::uuid and created_at < now() - make_interval(secs => ${CONTACT_IMPORT_UNDO_SECONDS})
      )
      insert into contact_imports (owner_id) values (${owner.auth.userId}::uuid) returning id`);
    let created = 0;
    for (let start = 0; start < candidates.length; start += IMPORT_CHUNK) {
      const chunk = candidates.slice(start, start + IMPORT_CHUNK);
      const input = JSON.stringify(chunk.map(({ id, values }) => ({ id, ...values })));
      const inserted = await tx.execute<{ id: string }>(sql`
        with input as (
          select * from jsonb_to_recordset(${input}::jsonb)
            as r(id uuid, name text, email text, phone text, company text, tags text[], notes text)
        ), inserted as (
          insert into contacts (id, owner_id, name, email, phone, company, tags, notes, import_id)
          select id, ${owner.auth.userId}::uuid, name, email, phone, company, coalesce(tags, '{}'), notes, ${batch!.id}::uuid from input
          on conflict (owner_id, lower(email)) do nothing
          returning id, owner_id, name, email, phone, company, tags, notes, created_at, updated_at
        )
        insert into outbox_events (type, aggregate_id, owner_id, payload)
        select 'contact.created', id, owner_id, jsonb_build_object('contact', ${contactJson}) from inserted
        returning aggregate_id as id`);
      const createdIds = new Set(inserted.map((row) => row.id));
      created += createdIds.size;
      for (const { index, id } of chunk) {
        results[index] = createdIds.has(id) ? { index, status: 'created', id } : { index, status: 'duplicate' };
      }
    }
    // Nothing to undo: no batch either.
    if (created === 0) {
      await tx.delete(contactImports).where(eq(contactImports.id, batch!.id));
      return null;
    }
    return batch!.id;
  });
  return { importId, results: results as ImportRowResult[] };
}

const importNotFound = () => new AppError('NOT_FOUND', 'import_not_found', 'This import does not exist or was undone already.');
const undoExpired = () =>
  new AppError('BAD_REQUEST', 'import_undo_expired', `An import can be undone for ${CONTACT_IMPORT_UNDO_SECONDS / 60} minutes only; delete its contacts instead.`);

/**
 * Deletes the contacts an import created that are unchanged since (`updated_at = created_at`), with
 * their `contact.deleted` events, and marks the import undone — once, within the undo window. The
 * import row is locked, so two undos cannot both run.
 */
export async function undoImport(owner: Owner, importId: string): Promise<{ deleted: number; kept: number }> {
  return withTransaction(owner.db, async (tx) => {
    const [batch] = await tx
      .select({ id: contactImports.id, expired: sql<boolean>`${contactImports.createdAt} < now() - make_interval(secs => ${CONTACT_IMPORT_UNDO_SECONDS})` })
      .from(contactImports)
      .where(and(eq(contactImports.ownerId, owner.auth.userId), eq(contactImports.id, importId), isNull(contactImports.undoneAt)))
      .for('update');
    if (!batch) throw importNotFound();
    if (batch.expired) throw undoExpired();
    const deleted = await tx
      .delete(c)
      .where(and(eq(c.ownerId, owner.auth.userId), eq(c.importId, importId), sql`${c.updatedAt} = ${c.createdAt}`))
      .returning({ id: c.id });
    const [{ kept } = { kept: 0 }] = await tx
      .select({ kept: sql<number>`count(*)::int` })
      .from(c)
      .where(and(eq(c.ownerId, owner.auth.userId), eq(c.importId, importId)));
    await tx.update(contactImports).set({ undoneAt: sql`now()` }).where(and(eq(contactImports.ownerId, owner.auth.userId), eq(contactImports.id, importId)));
    await recordContactEvents(tx, owner.auth.userId, deleted.map((row) => ({ type: 'contact.deleted' as const, id: row.id })));
    return { deleted: deleted.length, kept };
  });
}

// ---------------------------------------------------------------------------------------------
// Bulk tags

/**
 * Adds and removes tags on the owner's contacts among `ids` in one statement, with their
 * `contact.updated` events. Tags keep their order (new ones appended); a contact that would
 * exceed the tag limit, or would not change, is left alone.
 */
export async function tagContacts(owner: Owner, { ids, add, remove }: { ids: string[]; add: string[]; remove: string[] }): Promise<{ updated: number; skipped: number }> {
  const rows = await owner.db.execute<{ updated: number; skipped: number }>(sql`
    with selected as (
      select id, tags,
        array(
          select tag from unnest(tags || array(select a from unnest(${sql.param(add)}::text[]) as a where a <> all(tags))) with ordinality as t(tag, n)
          where tag <> all(${sql.param(remove)}::text[]) order by n
        ) as next_tags
      from contacts
      where owner_id = ${owner.auth.userId}::uuid and id = any(${sql.param(ids)}::uuid[])
      for update
    ), updated as (
      update contacts set tags = selected.next_tags, updated_at = now()
      from selected
      where contacts.id = selected.id and contacts.owner_id = ${owner.auth.userId}::uuid
        and selected.next_tags <> selected.tags and cardinality(selected.next_tags) <= ${LIMITS.tags}
      returning contacts.id, contacts.owner_id, contacts.name, contacts.email, contacts.phone, contacts.company, contacts.tags, contacts.notes, contacts.created_at, contacts.updated_at
    ), events as (
      insert into outbox_events (type, aggregate_id, owner_id, payload)
      select 'contact.updated', id, owner_id, jsonb_build_object('contact', ${contactJson}, 'changed', jsonb_build_array('tags')) from updated
      returning 1
    )
    select (select count(*)::int from events) as updated,
           (select count(*)::int from selected where cardinality(next_tags) > ${LIMITS.tags} and next_tags <> tags) as skipped`);
  return rows[0] ?? { updated: 0, skipped: 0 };
}

// ---------------------------------------------------------------------------------------------
// History

const o = schema.outboxEvents;

/** The contact's latest changes as its outbox events recorded them; NOT_FOUND unless it is the caller's. */
export async function contactHistory(owner: Owner, id: string, limit: number): Promise<HistoryEntry[]> {
  await getContact(owner, id);
  const rows = await owner.db
    .select({ id: o.id, type: o.type, occurredAt: o.occurredAt, changed: sql<string[] | null>`${o.payload} -> 'changed'` })
    .from(o)
    .where(and(eq(o.ownerId, owner.auth.userId), eq(o.aggregateId, id)))
    .orderBy(desc(o.occurredAt), desc(o.id))
    .limit(limit);
  return rows.map((row) => ({
    id: row.id,
    type: row.type as HistoryEntry['type'],
    occurredAt: row.occurredAt.toISOString(),
    changed: Array.isArray(row.changed) ? row.changed.map(String) : null,
  }));
}
