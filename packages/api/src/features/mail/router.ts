import { desc } from 'drizzle-orm';
import { z } from 'zod';
import { schema } from '@bastion/db';
import { AppError } from '../../errors/app-error.ts';
import { noInput } from '../../no-input.ts';
import { publicProcedure, router } from '../../trpc.ts';

const mailboxOutput = z.array(
  z.object({ id: z.uuid(), to: z.string(), subject: z.string(), text: z.string(), html: z.string(), createdAt: z.iso.datetime() }),
);

/** The development outbox; in production it does not exist (NOT_FOUND, like an unknown route). */
export const devRouter = router({
  mailbox: publicProcedure
    .meta({ rateLimit: 'dev.mailbox' })
    .input(noInput)
    .output(mailboxOutput)
    .query(async ({ ctx }) => {
      if (ctx.config.isProduction) throw new AppError('NOT_FOUND', 'not_found', 'Not found.');
      const { mailOutbox } = schema;
      const rows = await ctx.db
        .select({ id: mailOutbox.id, to: mailOutbox.to, subject: mailOutbox.subject, text: mailOutbox.text, html: mailOutbox.html, createdAt: mailOutbox.createdAt })
        .from(mailOutbox)
        .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
        .limit(50);
      return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
    }),
});
