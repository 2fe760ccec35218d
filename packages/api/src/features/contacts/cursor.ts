import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { SORTS } from './list.schema.ts';

/**
 * A keyset position: the sort key and id of the last row served, plus the sort it belongs to. The
 * next page starts strictly after it, so rows inserted meanwhile never shift a page (as OFFSET
 * would) and no row is served twice. Timestamps keep PostgreSQL's microseconds, which a JS Date
 * would round away.
 */
export interface Cursor {
  sort: (typeof SORTS)[number];
  direction: 'asc' | 'desc';
  key: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const cursorSchema = z
  .tuple([z.enum(SORTS), z.enum(['asc', 'desc']), z.string().max(256), z.uuid()])
  .refine(([sort, , key]) => sort === 'name' || TIMESTAMP.test(key));

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.direction, cursor.key, cursor.id])).toString('base64url');
}

const invalidCursor = () => new AppError('BAD_REQUEST', 'invalid_cursor', 'This page link is no longer valid; start from the first page.');

/** A cursor for another sort or direction, or one that was tampered with, is refused. */
export function decodeCursor(encoded: string, expected: Pick<Cursor, 'sort' | 'direction'>): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) throw invalidCursor();
  const [sort, direction, key, id] = result.data;
  if (sort !== expected.sort || direction !== expected.direction) throw invalidCursor();
  return { sort, direction, key, id };
}
