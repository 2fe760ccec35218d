import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { postgresErrorOf, schema, withTransaction, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { recordAudit, userActor } from '../audit/audit.service.ts';
import type { AuthState } from '../auth/guards.ts';
import type { Mailer } from '../mail/mailer.ts';
import { renderMail } from '../mail/templates.ts';
import { buildArchive } from './archive.ts';

export const EXPORT_LINK_TTL_SECONDS = 24 * 3600;
export const EXPORTS_PER_DAY = 3;
export const EXPORT_TOKEN = /^dx_[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const dataExportQueue: QueueDefinition = { name: 'data-export', retryLimit: 5, retryDelay: 30, retryDelayMax: 15 * 60, deleteAfterSeconds: 3600 };

/**
 * account.exportData: one export at a time (a unique index on open exports), at most 3 a day
 * (counted on the rows, kept 24 h by retention). The job builds the archive and mails the link.
 */
export async function requestDataExport(ctx: Context & { auth: AuthState }): Promise<{ exportId: string; status: 'pending' }> {
  const userId = ctx.auth.userId;
  const { dataExports } = schema;
  let exportId: string;
  try {
    exportId = await withTransaction(ctx.db, async (tx) => {
      // Serializes this user's requests, so the daily count cannot be raced.
      await tx.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.id, userId)).for('update').limit(1);
      const [recent] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(dataExports)
        .where(and(eq(dataExports.userId, userId), gt(dataExports.requestedAt, sql`now() - interval '24 hours'`)));
      if ((recent?.n ?? 0) >= EXPORTS_PER_DAY) {
        throw new AppError('TOO_MANY_REQUESTS', 'export_limit_reached', `You can export your data ${EXPORTS_PER_DAY} times a day. Try again tomorrow.`);
      }
      const [row] = await tx.insert(dataExports).values({ userId }).returning({ id: dataExports.id });
      await recordAudit(tx, ctx, { actor: userActor(userId), action: 'data_export.requested', subjectId: userId, detail: { exportId: row!.id } });
      return row!.id;
    });
  } catch (error) {
    if (postgresErrorOf(error)?.code === '23505') throw new AppError('CONFLICT', 'export_in_progress', 'An export is already being prepared or waiting to be downloaded. Check your email.');
    throw error;
  }
  await ctx.jobs.send(dataExportQueue.name, { exportId });
  return { exportId, status: 'pending' };
}

/**
 * The worker: builds the archive (once), mints a fresh single-use token on each attempt (only its
 * hash is stored; a retry after a failed delivery replaces the unsent link) and mails the link
 * itself, so no queue row ever holds the token.
 */
export function dataExportWorker(deps: { db: Database; config: AppConfig; logger: Logger }, mailer: Mailer): JobWorker<{ exportId: string }> {
  return {
    queue: dataExportQueue,
    handle: async ({ exportId }) => {
      const { dataExports, users } = schema;
      const [row] = await deps.db
        .select({ status: dataExports.status, userId: dataExports.userId, email: users.email })
        .from(dataExports)
        .innerJoin(users, eq(users.id, dataExports.userId))
        .where(and(eq(dataExports.id, exportId), inArray(dataExports.status, ['pending', 'ready'])))
        .limit(1);
      if (!row) return;
      const token = `dx_${randomBytes(32).toString('base64url')}`;
      const archive = row.status === 'pending' ? await buildArchive(deps.db, row.userId) : undefined;
      await deps.db
        .update(dataExports)
        .set({
          status: 'ready',
          tokenHash: hashToken(token),
          ...(archive ? { archive, readyAt: sql`now()` } : {}),
          expiresAt: sql`now() + make_interval(secs => ${EXPORT_LINK_TTL_SECONDS})`,
        })
        .where(and(eq(dataExports.id, exportId), inArray(dataExports.status, ['pending', 'ready'])));
      await mailer.send(renderMail(row.email, { template: 'data_export_ready', link: `${deps.config.http.appOrigin}/account/export/${token}` }));
      deps.logger.info({ exportId, bytes: archive?.length }, 'data export ready');
    },
  };
}

/**
 * `GET /account/export/<token>`: the archive, once, to the user it belongs to (signed in), within
 * 24 h; then it is deleted. Anything else (used, expired, another user's) is the same 404.
 */
export async function takeDataExport(ctx: Context & { auth: AuthState }, token: string): Promise<Buffer | null> {
  if (!EXPORT_TOKEN.test(token)) return null;
  const { dataExports } = schema;
  return withTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .select({ id: dataExports.id, archive: dataExports.archive })
      .from(dataExports)
      .where(and(eq(dataExports.tokenHash, hashToken(token)), eq(dataExports.userId, ctx.auth.userId), eq(dataExports.status, 'ready'), gt(dataExports.expiresAt, sql`now()`)))
      .for('update')
      .limit(1);
    if (!row?.archive) return null;
    await tx.update(dataExports).set({ status: 'downloaded', archive: null, tokenHash: null, downloadedAt: sql`now()` }).where(eq(dataExports.id, row.id));
    await recordAudit(tx, ctx, { actor: userActor(ctx.auth.userId), action: 'data_export.downloaded', subjectId: ctx.auth.userId, detail: { exportId: row.id, bytes: row.archive.length } });
    return row.archive;
  });
}
