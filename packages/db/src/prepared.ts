import { Column, is, Placeholder, SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

const statements = new WeakMap<object, Map<string, unknown>>();

/**
 * A drizzle prepared statement, built once per database handle and name: drizzle's query building
 * costs more CPU than the rest of a cheap read, and a prepared query skips it. `prepare` must build
 * the same statement for the same name.
 */
export function preparedOnce<T>(db: object, name: string, prepare: () => T): T {
  let byName = statements.get(db);
  if (!byName) statements.set(db, (byName = new Map()));
  let statement = byName.get(name) as T | undefined;
  if (statement === undefined) byName.set(name, (statement = prepare()));
  return statement;
}

/** Column types whose values postgres.js already returns as drizzle would (no decoder runs). */
const PASS_THROUGH_COLUMNS = new Set(['PgUUID', 'PgText', 'PgVarchar', 'PgChar', 'PgInteger', 'PgSmallInt', 'PgBoolean', 'PgArray']);

interface FlatSelect {
  toSQL(): { sql: string; params: unknown[] };
  execute(): Promise<unknown[]>;
}
type RawClient = { unsafe(query: string, params: unknown[], options: { prepare: boolean }): { values(): Promise<unknown[][]> } };

function clientOf(db: object): RawClient {
  const client = (db as { $client?: RawClient }).$client;
  if (!client) throw new Error('a raw statement needs the pool database, not a transaction');
  return client;
}

/** Runs a compiled statement (placeholders filled by name, as drizzle's `execute` does), each row's columns mapped in order onto `keys`. */
function runner<Row>(client: RawClient, { sql: text, params }: { sql: string; params: unknown[] }, keys: readonly string[]) {
  return async (values: object): Promise<Row[]> => {
    const filled = params.map((param) => (is(param, Placeholder) ? (values as Record<string, unknown>)[param.name] : param));
    const rows = await client.unsafe(text, filled, { prepare: true }).values();
    return rows.map((row) => {
      const mapped: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) mapped[keys[i]!] = row[i];
      return mapped as Row;
    });
  };
}

/**
 * A read built by drizzle once and run straight on postgres.js, its rows mapped by position onto the
 * select's keys. Drizzle's own execution maps every field of every row through entity checks and
 * decoders and wraps each call in tracer, cache and logger hooks: ~8 % of a 20-row `contacts.list`'s
 * CPU. For flat selects of values that need no decoding, checked here once: uuid, text, integer,
 * boolean and array columns, and SQL expressions (taken as postgres.js parses them: a timestamp is
 * selected as text, never as a Date). `fields` is the object the query selects (`db.select(fields)`),
 * whose key order is the columns'. Call it once per statement (preparedOnce) and keep the function.
 */
export function rawRead<Q extends FlatSelect>(db: object, fields: Record<string, unknown>, query: Q): (values: object) => Promise<Awaited<ReturnType<Q['execute']>>> {
  const keys = Object.keys(fields);
  for (const key of keys) {
    const field = fields[key];
    if (is(field, SQL)) continue;
    if (!is(field, Column) || !PASS_THROUGH_COLUMNS.has(field.columnType)) throw new Error(`rawRead: field ${key} needs drizzle's decoding`);
  }
  return runner(clientOf(db), query.toSQL(), keys) as (values: object) => Promise<Awaited<ReturnType<Q['execute']>>>;
}

const dialect = new PgDialect();

/**
 * A statement written with drizzle's `sql` (placeholders by `sql.placeholder(name)`), compiled once
 * and run as rawRead runs a read: for statements the query builder cannot express in one round trip
 * (a data-modifying CTE). Its result columns are mapped in order onto `keys`, undecoded.
 */
export function rawStatement<Row>(db: object, keys: readonly (keyof Row & string)[], statement: SQL): (values: object) => Promise<Row[]> {
  return runner<Row>(clientOf(db), dialect.sqlToQuery(statement), keys);
}
