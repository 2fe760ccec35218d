import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthState } from '../auth/guards.ts';
import { describeDevice } from '../auth/device.ts';
import { SECURITY_EVENT_KINDS, type securityLogInput, type securityLogOutput } from './security-log.schema.ts';

const cursorSchema = z.tuple([z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), z.uuid()]);

/**
 * The cursor carries the row's timestamp at full (microsecond) precision: a JavaScript Date would
 * round it to milliseconds and make keyset pages skip or repeat rows.
 */
function encodeCursor(createdAtExact: string, id: string): string {
  return Buffer.from(`${createdAtExact}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  const parsed = cursorSchema.safeParse(Buffer.from(cursor, 'base64url').toString().split('|'));
  if (!parsed.success) throw new AppError('BAD_REQUEST', 'invalid_cursor', 'The page cursor is not valid.');
  return parsed.data;
}

/** Only flat, non-secret detail values leave the API. */
function publicDetails(details: Record<string, unknown>) {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value as string | number | boolean | null;
  }
  return out;
}

/** The caller's own security events, newest first, by keyset pages. */
export async function securityLogHandler({
  ctx,
  input,
}: {
  ctx: Context & { auth: AuthState };
  input: z.infer<typeof securityLogInput>;
}): Promise<z.infer<typeof securityLogOutput>> {
  const { securityEvents: events } = schema;
  const limit = input?.limit ?? 20;
  const after = input?.cursor ? decodeCursor(input.cursor) : null;
  const rows = await ctx.db
    .select({
      id: events.id,
      type: events.type,
      createdAt: events.createdAt,
      exact: sql<string>`to_char(${events.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      ip: events.ip,
      userAgent: events.userAgent,
      details: events.details,
    })
    .from(events)
    .where(
      and(
        eq(events.userId, ctx.auth.userId),
        input?.kind ? inArray(events.type, [...SECURITY_EVENT_KINDS[input.kind]]) : undefined,
        after ? sql`(${events.createdAt}, ${events.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      type: row.type,
      createdAt: row.createdAt.toISOString(),
      ip: row.ip,
      userAgent: row.userAgent,
      device: describeDevice(row.userAgent),
      details: publicDetails(row.details),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.exact, last.id) : null,
  };
}
