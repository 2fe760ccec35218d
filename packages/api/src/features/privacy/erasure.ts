import { and, eq, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { schema, withTransaction, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { AppDeps } from '../../context.ts';
import { keepAnAdmin } from '../admin/last-admin.ts';
import { recordAudit, systemActor } from '../audit/audit.service.ts';
import { pseudonymOf } from '../audit/canonical.ts';
import { announceRevokedSessions } from '../auth/session-revocation.ts';
import type { JobQueue } from '../../lib/job-queue.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { DATA_CLASSES } from './data-classes.ts';

export interface ErasureDeps {
  db: Database;
  config: AppConfig;
  logger: Logger;
  jobs: JobQueue;
  /** Present in the API process: the erased user's cached sessions are forgotten everywhere. */
  sessions?: Pick<AppDeps, 'bus' | 'sessionCache' | 'logger'>;
}

/**
 * Erases one account whose grace period is over (ADR 085): the data classes' erasers, the audit
 * log's mentions replaced by the stable pseudonym, the development outbox's mail to it, then the
 * user row, which every table referencing it follows by cascade. One transaction: all or nothing.
 * Returns false when the deletion was cancelled (or the account is the last admin) meanwhile.
 */
export async function eraseAccount(deps: ErasureDeps, userId: string): Promise<boolean> {
  const { users, sessions, auditLog, mailOutbox } = schema;
  const key = deps.config.audit.checkpointKey;
  const erased = await withTransaction(deps.db, async (tx) => {
    const [user] = await tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.id, userId), isNotNull(users.deletionScheduledAt), lte(users.deletionScheduledAt, sql`now()`)))
      .for('update')
      .limit(1);
    if (!user) return null;
    await keepAnAdmin(tx, userId);
    for (const dataClass of DATA_CLASSES) await dataClass.erase?.(tx, userId, deps);
    const sessionIds = (await tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId))).map((row) => row.id);
    const ips = (
      await tx
        .selectDistinct({ ip: auditLog.ip })
        .from(auditLog)
        .where(and(isNotNull(auditLog.ip), or(eq(auditLog.subjectId, userId), eq(auditLog.actorId, userId))))
    ).map((row) => row.ip!);
    const pseudonym = pseudonymOf(key, 'id', userId);
    // Arrays travel as JSON text: one parameter each, whatever the driver's array handling.
    const textArray = (values: string[]) => sql`coalesce((select array_agg(v) from jsonb_array_elements_text(${JSON.stringify(values)}::jsonb) as v), '{}'::text[])`;
    await tx.execute(sql`select audit_pseudonymise(${userId}, ${pseudonym}, ${textArray(ips)}, ${textArray(ips.map((ip) => pseudonymOf(key, 'ip', ip)))})`);
    await tx.delete(mailOutbox).where(sql`lower(${mailOutbox.to}) = lower(${user.email})`);
    await tx.delete(users).where(eq(users.id, userId));
    await recordAudit(tx, { config: deps.config }, { actor: systemActor('erasure'), action: 'account.erased', subjectId: pseudonym });
    return { email: user.email, sessionIds };
  });
  if (!erased) return false;
  if (deps.sessions) await announceRevokedSessions(deps.sessions, erased.sessionIds);
  await queueMail(deps.jobs, erased.email, { template: 'account_erased' });
  return true;
}

/** Every account whose grace period is over, one transaction each; a failure leaves the others be. */
export async function eraseDueAccounts(deps: ErasureDeps): Promise<{ erased: number; failed: number }> {
  const { users } = schema;
  const due = await deps.db
    .select({ id: users.id })
    .from(users)
    .where(and(isNotNull(users.deletionScheduledAt), lte(users.deletionScheduledAt, sql`now()`)))
    .limit(1000);
  let erased = 0;
  let failed = 0;
  for (const { id } of due) {
    try {
      if (await eraseAccount(deps, id)) erased++;
    } catch (error) {
      failed++;
      deps.logger.error({ err: error, userId: id }, 'account erasure failed; retried on the next run');
    }
  }
  return { erased, failed };
}
