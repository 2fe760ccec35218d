import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { containsPattern, postgresErrorOf, preparedOnce, schema, withTransaction, type Database } from '@bastion/db';
import { fieldErrorsOf } from '../../errors/error-formatter.ts';
import { AppError } from '../../errors/app-error.ts';
import { contactCreateInput, type ContactCreate, type ContactDto, type ContactUpdate } from './contact.schema.ts';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.ts';
import { recordContactEvents } from './events.ts';
import type { ImportRowResult } from './import-many.schema.ts';
import type { ListInput } from './list.schema.ts';

/** What the contacts service needs from the request: the database and who is asking. */
export interface Owner {
  db: Database;
  auth: { userId: string };
}

const c = schema.contacts;

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

export async function createContact(owner: Owner, input: ContactCreate): Promise<ContactDto> {
  return withTransaction(owner.db, async (tx) => {
    const [row] = await tx
      .insert(c)
      .values({ ...input, ownerId: owner.auth.userId })
      .returning(contactColumns)
      .catch(rethrowEmailTaken);
    const contact = toContactDto(row!);
    await recordContactEvents(tx, owner.auth.userId, [{ type: 'contact.created', contact }]);
    return contact;
  });
}

const preparedGet = (db: Database) =>
  preparedOnce(db, 'contacts_get', () =>
    db
      .select(contactColumns)
      .from(c)
      .where(and(eq(c.ownerId, sql.placeholder('ownerId')), eq(c.id, sql.placeholder('id'))))
      .limit(1)
      .prepare('contacts_get'),
  );

export async function getContact(owner: Owner, id: string): Promise<ContactDto> {
  const [row] = await preparedGet(owner.db).execute({ ownerId: owner.auth.userId, id });
  if (!row) throw notFound();
  return toContactDto(row);
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
  name: { expression: sql`lower(${c.name})`, text: sql<string>`lower(${c.name})`, cast: (key: string | Placeholder) => sql`${key}::text` },
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
 * Name, email and company joined by U+001F, which the API refuses in any input, so a search term
 * cannot match across two fields. Exactly the expression of the trigram index
 * `contacts_search_trgm_idx` (custom migration contacts_search), or the index is not used.
 */
const SEARCH_DOCUMENT = sql`(${c.name} || E'\\x1f' || coalesce(${c.email}, '') || E'\\x1f' || coalesce(${c.company}, ''))`;

/** Which statement a list call needs: one per combination, each prepared once per database. */
interface ListShape {
  sort: ListInput['sort'];
  direction: 'asc' | 'desc';
  cursor: boolean;
  search: boolean;
  tag: boolean;
}

/** The statement's values: literals, or placeholders for a prepared statement. */
type ListValues = {
  ownerId: string | Placeholder;
  cursorKey: string | Placeholder;
  cursorId: string | Placeholder;
  pattern: string | Placeholder;
  tag: string | Placeholder;
  limit: number | Placeholder;
};

/**
 * The one definition of the list statement, owner first: every path is served by an index led by
 * owner_id (keyset per sort), the trigram indexes (search) or the tags GIN index.
 */
function buildListQuery(db: Database, shape: ListShape, values: ListValues) {
  const sortKey = SORT_KEYS[shape.sort];
  const conditions: SQL[] = [sql`${c.ownerId} = ${values.ownerId}`];
  if (shape.cursor) {
    conditions.push(sql`(${sortKey.expression}, ${c.id}) ${sql.raw(shape.direction === 'asc' ? '>' : '<')} (${sortKey.cast(values.cursorKey)}, ${values.cursorId}::uuid)`);
  }
  if (shape.search) conditions.push(sql`${SEARCH_DOCUMENT} ilike ${values.pattern} escape '\\'`);
  if (shape.tag) conditions.push(sql`${c.tags} @> array[${values.tag}]::text[]`);
  const order = shape.direction === 'asc' ? asc : desc;
  return db
    .select({ ...contactColumns, sortKey: sortKey.text })
    .from(c)
    .where(and(...conditions))
    .orderBy(order(sortKey.expression), order(c.id))
    .limit(values.limit);
}

function listCall(ownerId: string, input: ListInput): { shape: ListShape; values: ListValues } {
  const direction = input.direction ?? (input.sort === 'name' ? 'asc' : 'desc');
  const cursor = input.cursor ? decodeCursor(input.cursor, { sort: input.sort, direction }) : null;
  return {
    shape: { sort: input.sort, direction, cursor: cursor !== null, search: Boolean(input.search), tag: Boolean(input.tag) },
    values: {
      ownerId,
      cursorKey: cursor?.key ?? '',
      cursorId: cursor?.id ?? '',
      pattern: input.search ? containsPattern(input.search) : '',
      tag: input.tag ?? '',
      limit: input.limit + 1,
    },
  };
}

/** The list statement with its values inlined, as a query builder (the EXPLAIN test, benchmarks). */
export function listQuery(db: Database, ownerId: string, input: ListInput) {
  const { shape, values } = listCall(ownerId, input);
  return { direction: shape.direction, query: buildListQuery(db, shape, values) };
}

const PLACEHOLDERS: ListValues = {
  ownerId: sql.placeholder('ownerId'),
  cursorKey: sql.placeholder('cursorKey'),
  cursorId: sql.placeholder('cursorId'),
  pattern: sql.placeholder('pattern'),
  tag: sql.placeholder('tag'),
  limit: sql.placeholder('limit'),
};

/** Each shape's statement is prepared once per database: building it cost more than running it. */
const preparedList = (db: Database, shape: ListShape) => {
  const name = `contacts_list_${shape.sort}_${shape.direction}${shape.cursor ? '_after' : ''}${shape.search ? '_search' : ''}${shape.tag ? '_tag' : ''}`;
  return preparedOnce(db, name, () => buildListQuery(db, shape, PLACEHOLDERS).prepare(name));
};

export async function listContacts(owner: Owner, input: ListInput): Promise<{ items: ContactDto[]; nextCursor: string | null }> {
  const { shape, values } = listCall(owner.auth.userId, input);
  const rows = await preparedList(owner.db, shape).execute(values);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const next: Cursor | null = rows.length > input.limit && last ? { sort: input.sort, direction: shape.direction, key: last.sortKey, id: last.id } : null;
  return { items: page.map(({ sortKey: _sortKey, ...row }) => toContactDto(row)), nextCursor: next ? encodeCursor(next) : null };
}

// ---------------------------------------------------------------------------------------------
// Import

/** Rows per statement: bounds the statement's size and the time it holds its locks. */
export const IMPORT_CHUNK = 500;

/**
 * A contact as the outbox payload carries it, built in SQL: the same shape as `toContactDto`
 * (timestamps as JavaScript's toISOString writes them).
 */
const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const contactJson = sql`jsonb_build_object('id', id, 'name', name, 'email', email, 'phone', phone, 'company', company,
  'tags', to_jsonb(tags), 'notes', notes, 'createdAt', ${iso(sql`created_at`)}, 'updatedAt', ${iso(sql`updated_at`)})`;

/**
 * Validates each row on its own, drops repeats of an email within the file, then writes each chunk
 * with ONE statement: a data-modifying CTE inserts the contacts (an email the owner already has is
 * skipped by ON CONFLICT DO NOTHING — a duplicate, not a failed transaction) and their
 * `contact.created` outbox events. Ids are assigned here so each created row maps back to its input
 * row; the chunk travels as one JSON parameter.
 */
export async function importContacts(owner: Owner, rows: unknown[]): Promise<ImportRowResult[]> {
  const results: ImportRowResult[] = new Array(rows.length);
  const firstByEmail = new Map<string, number>();
  const candidates: { index: number; id: string; values: ContactCreate }[] = [];
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

  await withTransaction(owner.db, async (tx) => {
    for (let start = 0; start < candidates.length; start += IMPORT_CHUNK) {
      const chunk = candidates.slice(start, start + IMPORT_CHUNK);
      const input = JSON.stringify(chunk.map(({ id, values }) => ({ id, ...values })));
      const created = await tx.execute<{ id: string }>(sql`
        with input as (
          select * from jsonb_to_recordset(${input}::jsonb)
            as r(id uuid, name text, email text, phone text, company text, tags text[], notes text)
        ), inserted as (
          insert into contacts (id, owner_id, name, email, phone, company, tags, notes)
          select id, ${owner.auth.userId}::uuid, name, email, phone, company, coalesce(tags, '{}'), notes from input
          on conflict (owner_id, lower(email)) do nothing
          returning id, owner_id, name, email, phone, company, tags, notes, created_at, updated_at
        )
        insert into outbox_events (type, aggregate_id, owner_id, payload)
        select 'contact.created', id, owner_id, jsonb_build_object('contact', ${contactJson}) from inserted
        returning aggregate_id as id`);
      const createdIds = new Set(created.map((row) => row.id));
      for (const { index, id } of chunk) {
        results[index] = createdIds.has(id) ? { index, status: 'created', id } : { index, status: 'duplicate' };
      }
    }
  });
  return results;
}
