import { createHash, timingSafeEqual } from 'node:crypto';
import { desc } from 'drizzle-orm';
import { z } from 'zod';
import { schema } from '@bastion/db';
import { AppError } from '../../errors/app-error.ts';
import { publicProcedure, router } from '../../trpc.ts';

const mailboxOutput = z.array(
  z.object({ id: z.uuid(), to: z.string(), subject: z.string(), text: z.string(), html: z.string(), createdAt: z.iso.datetime() }),
);

/** Absent (tests), or the key printed at start (development): `/dev/mailbox?key=…`. */
const mailboxInput = z.strictObject({ key: z.string().max(200).optional() }).optional();

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Equal-length digests compared in constant time: the response time tells nothing of the key. */
function keyMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

/**
 * The development outbox; in production it does not exist (NOT_FOUND, like an unknown route). In
 * development it also asks for the per-process key the server prints at start, so that no other
 * page the developer opens can read the mail (sign-in links, reset links).
 */
export const devRouter = router({
  mailbox: publicProcedure
    .meta({ rateLimit: 'dev.mailbox' })
    .input(mailboxInput)
    .output(mailboxOutput)
    .query(async ({ ctx, input }) => {
      if (ctx.config.isProduction) throw new AppError('NOT_FOUND', 'not_found', 'Not found.');
      const expected = ctx.config.mail.devMailboxKey;
      if (expected !== undefined && !keyMatches(input?.key, expected)) {
        throw new AppError('FORBIDDEN', 'mailbox_key_required', 'Open the mailbox with the link the server printed at start.');
      }
      const { mailOutbox } = schema;
      const rows = await ctx.db
        .select({ id: mailOutbox.id, to: mailOutbox.to, subject: mailOutbox.subject, text: mailOutbox.text, html: mailOutbox.html, createdAt: mailOutbox.createdAt })
        .from(mailOutbox)
        .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
        .limit(50);
      return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
    }),
});
