import type { LinkMailJob } from '../auth/emailed-links.ts';
import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import type { Mailer } from './mailer.ts';
import { renderMail, type MailTemplate } from './templates.ts';

export const sendMailQueue: QueueDefinition = {
  name: 'send-mail',
  retryLimit: 6,
  retryDelay: 5, // JOB_RETRY_DELAY_S overrides it
  retryDelayMax: 15 * 60,
  deleteAfterSeconds: 3600,
  // A worker that dies mid-send (SIGKILL, OOM) leaves the job active: retried after 10 s, not 15 min.
  heartbeatSeconds: 10,
};

/** The templates whose link carries a one-time token: they are never queued ready-made. */
type TokenMail = Extract<MailTemplate, { template: 'verify_email' | 'password_reset' | 'data_export_ready' | 'confirm_email_change' | 'email_changed' }>;

/** A mail that can sit in a job row as it is: nothing in it opens an account. */
export type QueuedMail = Exclude<MailTemplate, TokenMail>;

type StaticMailJob = { to: string } & QueuedMail;

export type SendMailJob = StaticMailJob | LinkMailJob;

/** Turns a link job into the mail to send (minting its token), or null when there is nobody to mail. */
export type ResolveLinkMail = (job: LinkMailJob, jobId: string) => Promise<{ to: string; mail: MailTemplate } | null>;

/** Queues an email; a worker renders and delivers it, retrying with exponential backoff. */
export async function queueMail(jobs: JobQueue, to: string, mail: QueuedMail): Promise<void> {
  await jobs.send(sendMailQueue.name, { to, ...mail } satisfies StaticMailJob);
}

/** Queues an email whose one-time link the worker mints: the job row holds no token. */
export async function queueLinkMail(jobs: JobQueue, job: LinkMailJob): Promise<void> {
  await jobs.send(sendMailQueue.name, job satisfies SendMailJob);
}

export function sendMailWorker(mailer: Mailer, resolveLinkMail: ResolveLinkMail): JobWorker<SendMailJob> {
  return {
    queue: sendMailQueue,
    handle: async (data, job) => {
      // One Message-ID per job, the same on every retry.
      const messageId = `mail-${job.id}`;
      if ('linkFor' in data) {
        const resolved = await resolveLinkMail(data, job.id);
        if (resolved) await mailer.send({ ...renderMail(resolved.to, resolved.mail), messageId });
        return;
      }
      const { to, ...mail } = data;
      await mailer.send({ ...renderMail(to, mail), messageId });
    },
  };
}
