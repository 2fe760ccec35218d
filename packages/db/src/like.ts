/**
 * Escapes LIKE/ILIKE wildcards so user input matches literally. Use with `ESCAPE '\'`: Drizzle has
 * no helper for this (drizzle-orm#444), and an unescaped `%` or `_` turns a search into a scan of
 * everything.
 */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** The ILIKE pattern matching `value` anywhere in a string. */
export function containsPattern(value: string): string {
  return `%${escapeLike(value)}%`;
}
