import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { schema, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { Context, RequestInfo } from '../../context.ts';
import { queueLinkMail, type ResolveLinkMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { EMAIL_CHANGE_TTL_SECONDS, EMAIL_UNDO_TTL_SECONDS } from './email-change.schema.ts';
import { issueJobToken } from './one-time-token.ts';

export const VERIFY_TTL_SECONDS = 24 * 3600;
export const RESET_TTL_SECONDS = 3600;

type Requester = Omit<RequestInfo, 'authorization'>;

/**
 * The emails whose link carries a one-time token. The job names who and why, never the token:
 * the worker mints it (see `issueJobToken`), stores its hash and sends the mail, so the queue's
 * rows (kept for retries and an hour after) hold nothing that opens an account.
 */
export type LinkMailJob =
  | { linkFor: 'verify_email'; userId: string }
  /** Queued for known and unknown addresses alike: the worker looks the account up, so the request cannot tell. */
  | { linkFor: 'password_reset'; email: string; requestedBy: Requester }
  /** The confirmation link to a change's new address. */
  | { linkFor: 'confirm_email_change'; changeId: string }
  /** The undo link to a confirmed change's old address. */
  | { linkFor: 'email_changed'; changeId: string };

export const queueVerificationEmail = (ctx: Pick<Context, 'jobs'>, userId: string) => queueLinkMail(ctx.jobs, { linkFor: 'verify_email', userId });

export const queuePasswordResetEmail = (ctx: Pick<Context, 'jobs' | 'request'>, email: string) =>
  queueLinkMail(ctx.jobs, {
    linkFor: 'password_reset',
    email,
    requestedBy: { requestId: ctx.request.requestId, ip: ctx.request.ip, userAgent: ctx.request.userAgent },
  });

export interface LinkMailDeps {
  db: Database;
  config: AppConfig;
  metrics: Registry;
  logger: Logger;
}

/** The worker's half: finds the account, mints the token once per job and builds the mail, or drops the job. */
export function linkMailResolver(deps: LinkMailDeps): ResolveLinkMail {
  const { db, config } = deps;
  const log = deps.logger.child({ component: 'link-mail' });
  const keys = config.encryption.keys;
  const link = (path: string, token: string) => `${config.http.appOrigin}${path}?token=${token}`;
  const { users, emailChanges } = schema;

  return async (job, jobId) => {
    if (job.linkFor === 'confirm_email_change') {
      // A newer request, or a confirmation already made, leaves this link nothing to do.
      const [change] = await db
        .select({ id: emailChanges.id, userId: emailChanges.userId, newEmail: emailChanges.newEmail })
        .from(emailChanges)
        .innerJoin(users, eq(users.id, emailChanges.userId))
        .where(and(eq(emailChanges.id, job.changeId), isNull(emailChanges.confirmedAt), isNull(emailChanges.supersededAt), isNull(users.disabledAt)))
        .limit(1);
      if (!change) {
        log.info({ jobId }, 'email change mail dropped: no pending change');
        return null;
      }
      const { token } = await issueJobToken(db, keys, { jobId, userId: change.userId, purpose: 'change_email', ttlSeconds: EMAIL_CHANGE_TTL_SECONDS, subjectId: change.id });
      return { to: change.newEmail, mail: { template: 'confirm_email_change', link: link('/confirm-email-change', token) } };
    }
    if (job.linkFor === 'email_changed') {
      const [change] = await db
        .select({ id: emailChanges.id, userId: emailChanges.userId, oldEmail: emailChanges.oldEmail, newEmail: emailChanges.newEmail })
        .from(emailChanges)
        .where(and(eq(emailChanges.id, job.changeId), isNotNull(emailChanges.confirmedAt), isNull(emailChanges.revertedAt)))
        .limit(1);
      if (!change) {
        log.info({ jobId }, 'email changed mail dropped: the change was undone');
        return null;
      }
      const { token } = await issueJobToken(db, keys, { jobId, userId: change.userId, purpose: 'revert_email', ttlSeconds: EMAIL_UNDO_TTL_SECONDS, subjectId: change.id });
      return { to: change.oldEmail, mail: { template: 'email_changed', newEmail: change.newEmail, undoLink: link('/undo-email-change', token) } };
    }
    if (job.linkFor === 'verify_email') {
      const [user] = await db
        .select({ id: users.id, email: users.email, verifiedAt: users.emailVerifiedAt, disabledAt: users.disabledAt })
        .from(users)
        .where(eq(users.id, job.userId))
        .limit(1);
      if (!user || user.verifiedAt || user.disabledAt) {
        log.info({ jobId }, 'verification mail dropped: no unverified account');
        return null;
      }
      const { token } = await issueJobToken(db, keys, { jobId, userId: user.id, purpose: 'verify_email', ttlSeconds: VERIFY_TTL_SECONDS });
      return { to: user.email, mail: { template: 'verify_email', link: link('/verify-email', token) } };
    }

    const [user] = await db
      .select({ id: users.id, email: users.email, disabledAt: users.disabledAt })
      .from(users)
      .where(eq(sql`lower(${users.email})`, job.email))
      .limit(1);
    if (!user || user.disabledAt) {
      // Nobody to mail; the address itself stays out of the log.
      log.info({ jobId }, 'password reset mail dropped: no active account');
      return null;
    }
    const { token, retried } = await issueJobToken(db, keys, { jobId, userId: user.id, purpose: 'reset_password', ttlSeconds: RESET_TTL_SECONDS });
    // Once per request, not once per delivery attempt.
    if (!retried) await recordSecurityEvent({ db, metrics: deps.metrics, request: { ...job.requestedBy, authorization: null } }, 'password_reset_requested', user.id);
    return { to: user.email, mail: { template: 'password_reset', link: link('/reset-password', token) } };
  };
}
