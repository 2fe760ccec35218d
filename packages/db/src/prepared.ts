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
