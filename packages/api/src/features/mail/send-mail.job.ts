import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import type { Mailer } from './mailer.ts';
import { renderMail, type MailTemplate } from './templates.ts';

export const sendMailQueue: QueueDefinition = {
  name: 'send-mail',
  retryLimit: 6,
  retryDelay: 5, // JOB_RETRY_DELAY_S overrides it
  retryDelayMax: 15 * 60,
  deleteAfterSeconds: 3600,
};

type SendMailJob = { to: string } & MailTemplate;

/** Queues an email; a worker renders and delivers it, retrying with exponential backoff. */
export async function queueMail(jobs: JobQueue, to: string, mail: MailTemplate): Promise<void> {
  await jobs.send(sendMailQueue.name, { to, ...mail } satisfies SendMailJob);
}

export function sendMailWorker(mailer: Mailer): JobWorker<SendMailJob> {
  return {
    queue: sendMailQueue,
    handle: async ({ to, ...mail }) => mailer.send(renderMail(to, mail)),
  };
}
