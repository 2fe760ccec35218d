import { and, desc, eq, ilike, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { containsPattern, schema } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { getUserInput, getUserOutput, listUsersInput, listUsersOutput, USER_STATUSES } from './users.schema.ts';

type Status = (typeof USER_STATUSES)[number];

const { users } = schema;

/** created_at with PostgreSQL's microseconds: a cursor key a JS Date would round. */
const createdKey = sql<string>`to_char(${users.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const columns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  emailVerifiedAt: users.emailVerifiedAt,
  disabledAt: users.disabledAt,
  deletionScheduledAt: users.deletionScheduledAt,
  createdAt: users.createdAt,
  key: createdKey,
};

type Row = { id: string; email: string; name: string | null; role: 'user' | 'support' | 'admin'; emailVerifiedAt: Date | null; disabledAt: Date | null; deletionScheduledAt: Date | null; createdAt: Date };

function toAdminUser(row: Row) {
  const status: Status = row.disabledAt ? 'disabled' : row.deletionScheduledAt ? 'pending_deletion' : 'active';
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    status,
    emailVerified: row.emailVerifiedAt !== null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    deletionScheduledAt: row.deletionScheduledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

const invalidCursor = () => new AppError('BAD_REQUEST', 'invalid_cursor', 'This page link is no longer valid; start from the first page.');

function decodeCursor(cursor: string): { key: string; id: string } {
  try {
    const [key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof key === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(key) && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return { key, id };
  } catch {
    // falls through
  }
  throw invalidCursor();
}

const statusCondition: Record<Status, SQL | undefined> = {
  active: and(isNull(users.disabledAt), isNull(users.deletionScheduledAt)),
  disabled: isNotNull(users.disabledAt),
  pending_deletion: and(isNull(users.disabledAt), isNotNull(users.deletionScheduledAt)),
};

/** Newest accounts first, keyset-paginated on (created_at, id). */
export async function listUsersHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof listUsersInput> }): Promise<z.infer<typeof listUsersOutput>> {
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await ctx.db
    .select(columns)
    .from(users)
    .where(
      and(
        input.search ? or(ilike(users.email, containsPattern(input.search)), ilike(users.name, containsPattern(input.search))) : undefined,
        input.role ? eq(users.role, input.role) : undefined,
        input.status ? statusCondition[input.status] : undefined,
        after ? sql`(${users.createdAt}, ${users.id}) < (${after.key}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > input.limit && last ? Buffer.from(JSON.stringify([last.key, last.id])).toString('base64url') : null;
  return { items: page.map(toAdminUser), nextCursor };
}

/** One account as support sees it: profile, sessions, recent security events. No hash, no secret. */
export async function getUserHandler({ ctx, input }: { ctx: Context; input: z.infer<typeof getUserInput> }): Promise<z.infer<typeof getUserOutput>> {
  const { sessions, securityEvents, userTwoFactor } = schema;
  const [user] = await ctx.db.select(columns).from(users).where(eq(users.id, input.id)).limit(1);
  if (!user) throw new AppError('NOT_FOUND', 'user_not_found', 'No such user.');
  const [sessionRows, eventRows, twoFactor] = await Promise.all([
    ctx.db
      .select({ id: sessions.id, ip: sessions.ip, userAgent: sessions.userAgent, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt, expiresAt: sessions.expiresAt, revokedAt: sessions.revokedAt, revokedReason: sessions.revokedReason })
      .from(sessions)
      .where(eq(sessions.userId, user.id))
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .limit(50),
    ctx.db
      .select({ id: securityEvents.id, type: securityEvents.type, ip: securityEvents.ip, createdAt: securityEvents.createdAt })
      .from(securityEvents)
      .where(eq(securityEvents.userId, user.id))
      .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
      .limit(50),
    ctx.db.select({ enabledAt: userTwoFactor.enabledAt }).from(userTwoFactor).where(eq(userTwoFactor.userId, user.id)).limit(1),
  ]);
  return {
    user: { ...toAdminUser(user), twoFactorEnabled: twoFactor[0]?.enabledAt != null },
    sessions: sessionRows.map((s) => ({
      ...s,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      revokedAt: s.revokedAt?.toISOString() ?? null,
    })),
    securityEvents: eventRows.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    // Merge point for the OIDC feature: its linked accounts (provider, subject, email, linkedAt), no tokens.
    connectedAccounts: [],
  };
}
