import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { schema, type Transaction } from '@bastion/db';
import { AppError } from '../../errors/app-error.ts';

/** Serializes every change that could remove an active admin (demotion, disabling, erasure). */
const ADMIN_SET_LOCK_KEY = 7_262_021_081;

/**
 * Refuses to leave the deployment without an active admin. Takes a transaction advisory lock
 * first, so two admins demoting each other at once are serialized: the second sees the first's
 * change and is refused.
 */
export async function keepAnAdmin(tx: Transaction, userId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ADMIN_SET_LOCK_KEY})`);
  const { users } = schema;
  const [target] = await tx.select({ role: users.role, disabledAt: users.disabledAt }).from(users).where(eq(users.id, userId)).limit(1);
  if (!target || target.role !== 'admin' || target.disabledAt) return;
  const [others] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt), ne(users.id, userId)));
  if ((others?.n ?? 0) === 0) throw new AppError('CONFLICT', 'last_admin', 'This is the last administrator: make someone else an administrator first.');
}
