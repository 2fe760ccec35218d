import { Column, is, Placeholder, SQL } from 'drizzle-orm';

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
/**
 * A read built by drizzle once and run straight on postgres.js, its rows mapped by position onto the
 * select's keys. Drizzle's own execution maps every field of every row through entity checks and
 * decoders and wraps each call in tracer, cache and logger hooks: ~8 % of a 20-row `contacts.list`'s
 * CPU. For flat selects of values that need no decoding, checked here once: uuid, text, integer,
 * boolean and array columns, and SQL expressions (taken as postgres.js parses them: a timestamp is
 * selected as text, never as a Date). Placeholders are filled by name, as drizzle's `execute` does.
 * `fields` is the object the query selects (`db.select(fields)`), whose key order is the columns'.
 */
export function rawRead<Q extends FlatSelect>(db: object, fields: Record<string, unknown>, query: Q): (values: Record<string, unknown>) => Promise<Awaited<ReturnType<Q['execute']>>> {
  type Rows = Awaited<ReturnType<Q['execute']>>;
  const client = (db as { $client?: { unsafe(query: string, params: unknown[], options: { prepare: boolean }): { values(): Promise<unknown[][]> } } }).$client;
  if (!client) throw new Error('rawRead needs the pool database, not a transaction');
  const keys = Object.keys(fields);
  for (const key of keys) {
    const field = fields[key];
    if (is(field, SQL)) continue;
    if (!is(field, Column) || !PASS_THROUGH_COLUMNS.has(field.columnType)) throw new Error(`rawRead: field ${key} needs drizzle's decoding`);
  }
  const { sql: text, params } = query.toSQL();
  return async (values): Promise<Rows> => {
    const filled = params.map((param) => (is(param, Placeholder) ? values[param.name] : param));
    const rows = await client.unsafe(text, filled, { prepare: true }).values();
    return rows.map((row) => {
      const mapped: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) mapped[keys[i]!] = row[i];
      return mapped;
    }) as Rows;
  };
}
