// worker-kill: the `pnpm worker` process dies (SIGKILL) while it is sending an email and delivering
// a webhook. A new worker retries both once the dead one's heartbeat lapses; in effect each happens
// once: the email arrives once or twice with the same Message-ID (and the same link), the webhook
// again under the same webhook-id, and every job and delivery ends succeeded, none duplicated.
import postgres from 'postgres';
import { startWorkerProcess, type WorkerProcess } from '../../test/helpers/process.ts';
import { uniqueEmail, STRONG_PASSWORD } from '../../test/helpers/server.ts';
import { startSmtpServer } from '../../test/helpers/smtp.ts';
import { startReceiver, webhookIdOf } from '../../test/helpers/webhook-receiver.ts';
import { check, drillDatabase, log, signUp, startDrillServer, trpcPost, within } from './harness.ts';

export async function workerKill(): Promise<void> {
  const database = await drillDatabase();
  const smtp = await startSmtpServer();
  const receiver = await startReceiver();
  const env = {
    DATABASE_URL: database.url,
    SMTP_URL: smtp.url,
    JOB_SUPERVISE_INTERVAL_S: '1',
    JOB_RETRY_DELAY_S: '1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_DISPATCH_INTERVAL_MS: '100',
    WEBHOOK_RETRY_SCHEDULE: '1,1,1',
  };
  const api = await startDrillServer({ ...env, WORKERS: 'off' });
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const workers: WorkerProcess[] = [];
  try {
    const owner = await signUp(api);
    await sql`update users set email_verified_at = now() where email = ${owner.email}`;
    const endpoint = await trpcPost(api, 'webhooks.endpoints.create', { url: receiver.url('/drill'), events: ['contact.created'] }, owner.authorization);
    check(endpoint.status === 200, `webhooks.endpoints.create: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);

    // The owner's own verification mail is not part of the drill: only the one sent below is in flight.
    await sql`delete from pgboss.job where name = 'send-mail'`;

    // Both stall mid-flight: the SMTP server holds its answer to DATA, the receiver its response.
    smtp.delayMs = 4000;
    receiver.setReply(() => 'hang');
    const doomed = await startWorkerProcess(env);
    workers.push(doomed);
    const email = uniqueEmail('worker-kill');
    check((await trpcPost(api, 'auth.register', { email, password: STRONG_PASSWORD, name: 'Kill' })).status === 200, 'register (queues the verification mail)');
    check((await trpcPost(api, 'contacts.create', { name: 'Webhook subject' }, owner.authorization)).status === 200, 'create a contact (an outbox event)');
    await within(30_000, 'the worker mid-send and mid-delivery', async () => smtp.started() >= 1 && receiver.received.length >= 1);
    log('SIGKILL to the worker with an email and a webhook in flight');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const inFlightWebhook = webhookIdOf(receiver.received[0]!);

    smtp.delayMs = 0;
    receiver.setReply(() => ({ status: 200, body: 'ok' }));
    workers.push(await startWorkerProcess(env));
    const retried = await within(60_000, 'the mail job and the delivery completing after the kill', async () => {
      const [state] = await sql<{ mail: number; delivered: number }[]>`
        select
          (select count(*)::int from pgboss.job where name = 'send-mail' and state = 'completed') as mail,
          (select count(*)::int from webhook_deliveries where status = 'succeeded') as delivered`;
      return state!.mail >= 1 && state!.delivered >= 1;
    });
    log(`retried and completed ${retried.toFixed(0)} ms after a new worker started (heartbeat 10 s)`);

    const mails = smtp.received.filter((mail) => mail.to.includes(email));
    const ids = new Set(mails.map((mail) => mail.messageId));
    const links = new Set(mails.map((mail) => /https?:\/\/\S+/.exec(mail.text)?.[0]));
    log(`the email arrived ${mails.length}× with Message-ID(s) ${[...ids].join(', ')}`);
    check(mails.length >= 1 && mails.length <= 2, `the email arrived once or twice: ${mails.length}`);
    check(ids.size === 1 && /^<mail-[0-9a-f-]+@/.test([...ids][0]!), `one Message-ID, from the job: ${[...ids].join(', ')}`);
    check(links.size === 1, 'every copy carries the same link (the token is minted from the job id)');
    const jobs = await sql<{ state: string }[]>`select state from pgboss.job where name = 'send-mail'`;
    check(jobs.length === 1 && jobs[0]!.state === 'completed', `one send-mail job, completed: ${JSON.stringify(jobs)}`);

    const webhookIds = receiver.received.map(webhookIdOf);
    const [event] = await sql<{ id: string }[]>`select id from outbox_events where type = 'contact.created'`;
    const deliveries = await sql<{ status: string }[]>`select status from webhook_deliveries`;
    log(`the webhook arrived ${webhookIds.length}× with webhook-id(s) ${[...new Set(webhookIds)].join(', ')}`);
    check(new Set(webhookIds).size === 1 && webhookIds[0] === event!.id && inFlightWebhook === event!.id, 'the webhook kept its webhook-id (the event id) across the kill');
    check(deliveries.length === 1 && deliveries[0]!.status === 'succeeded', `one delivery, succeeded: ${JSON.stringify(deliveries)}`);
  } finally {
    for (const worker of workers) await worker.stop();
    await api.stop();
    await sql.end();
    await smtp.close();
    await receiver.close();
    await database.close();
  }
}
