import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { schema } from '@bastion/db';
import { noInput } from '../../no-input.ts';
import { authedProcedure, router } from '../../trpc.ts';
import { cancelDeletion, scheduleDeletion } from './deletion.service.ts';
import { EXPORTS_PER_DAY, requestDataExport } from './exports.service.ts';
import { cancelDeletionOutput, deleteAccountInput, deleteAccountOutput, exportDataOutput, privacyStatusOutput } from './privacy.schema.ts';

/** The signed-in user's data-protection rights: a copy of their data, and erasure (ADR 084, 085). */
export const accountRouter = router({
  exportData: authedProcedure.meta({ rateLimit: 'account.privacy' }).input(noInput).output(exportDataOutput).mutation(({ ctx }) => requestDataExport(ctx)),
  delete: authedProcedure.meta({ rateLimit: 'account.privacy' }).input(deleteAccountInput).output(deleteAccountOutput).mutation(({ ctx, input }) => scheduleDeletion(ctx, input)),
  cancelDeletion: authedProcedure.meta({ rateLimit: 'account.privacy' }).input(noInput).output(cancelDeletionOutput).mutation(({ ctx }) => cancelDeletion(ctx)),
  privacy: authedProcedure
    .meta({ rateLimit: 'user.default' })
    .input(noInput)
    .output(privacyStatusOutput)
    .query(async ({ ctx }) => {
      const { users, dataExports } = schema;
      const userId = ctx.auth.userId;
      const [[user], [open], [recent]] = await Promise.all([
        ctx.db.select({ deletionScheduledAt: users.deletionScheduledAt }).from(users).where(eq(users.id, userId)).limit(1),
        ctx.db
          .select({ status: dataExports.status, requestedAt: dataExports.requestedAt, expiresAt: dataExports.expiresAt })
          .from(dataExports)
          .where(and(eq(dataExports.userId, userId), inArray(dataExports.status, ['pending', 'ready'])))
          .orderBy(desc(dataExports.requestedAt))
          .limit(1),
        ctx.db
          .select({ n: sql<number>`count(*)::int` })
          .from(dataExports)
          .where(and(eq(dataExports.userId, userId), gt(dataExports.requestedAt, sql`now() - interval '24 hours'`))),
      ]);
      return {
        deletionScheduledAt: user?.deletionScheduledAt?.toISOString() ?? null,
        openExport: open ? { status: open.status as 'pending' | 'ready', requestedAt: open.requestedAt.toISOString(), expiresAt: open.expiresAt?.toISOString() ?? null } : null,
        exportsLeftToday: Math.max(0, EXPORTS_PER_DAY - (recent?.n ?? 0)),
      };
    }),
});
