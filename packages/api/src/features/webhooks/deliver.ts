import { and, eq, sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { schema, withTransaction, type Database, type Transaction } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { TEST_EVENT_TYPE } from './event-types.ts';
import { webhookMetrics } from './metrics.ts';
import { retryDelaySeconds } from './schedule.ts';
import { signingSecrets } from './secrets.ts';
import type { AttemptResult, WebhookSender } from './sender.ts';
import { webhookHeaders } from './signature.ts';

/** An endpoint whose every attempt has failed for this long is disabled. */
export const FAILING_DISABLE_SECONDS = 5 * 86_400;

export interface DeliverJob {
  deliveryId: string;
  /** The attempt number this job is for; a job whose number is not the delivery's `queued_attempt` is stale. */
  attempt: number;
}

/**
 * One job per attempt (pg-boss's own retries only cover a crashed or failed worker): the retry
 * schedule is ours (WEBHOOK_RETRY_SCHEDULE), each attempt a job with `startAfter`, grouped by
 * endpoint so `groupConcurrency` bounds how many run against one endpoint at once. A worker that
 * dies mid-attempt stops heartbeating; pg-boss retries the job after ~10 s (ADR 071).
 */
export const deliverWebhookQueue: QueueDefinition = {
  name: 'webhook-deliver',
  // A crashed worker's job is retried within a second or two; a handler failing on the database
  // (outage) backs off up to 5 minutes, about two hours in all before pg-boss gives the job up.
  retryLimit: 25,
  retryDelay: 1,
  retryDelayMax: 300,
  deleteAfterSeconds: 3600,
  expireInSeconds: 120,
  heartbeatSeconds: 10,
};

export interface DeliveryDeps {
  db: Database;
  config: Pick<AppConfig, 'webhooks' | 'encryption' | 'http'>;
  logger: Logger;
  metrics: Registry;
  jobs: JobQueue;
  sender: WebhookSender;
}

const d = schema.webhookDeliveries;
const e = schema.webhookEndpoints;

/** Queues an attempt (inside the caller's transaction, so it exists exactly when its delivery row does). */
export function queueAttempt(jobs: JobQueue, tx: Transaction, delivery: { id: string; endpointId: string }, attempt: number, startAfter?: Date) {
  return jobs.send(deliverWebhookQueue.name, { deliveryId: delivery.id, attempt } satisfies DeliverJob, { tx, group: delivery.endpointId, ...(startAfter ? { startAfter } : {}) });
}

async function loadForAttempt(db: Database, deliveryId: string) {
  const [row] = await db
    .select({
      id: d.id,
      endpointId: d.endpointId,
      eventId: d.eventId,
      eventType: d.eventType,
      body: d.body,
      status: d.status,
      attempts: d.attempts,
      queuedAttempt: d.queuedAttempt,
      single: d.single,
      url: e.url,
      enabled: e.enabled,
      secretSealed: e.secretSealed,
      previousSecretSealed: e.previousSecretSealed,
      previousSecretExpiresAt: e.previousSecretExpiresAt,
    })
    .from(d)
    .innerJoin(e, eq(e.id, d.endpointId))
    .where(eq(d.id, deliveryId))
    .limit(1);
  return row;
}

type Outcome = 'succeeded' | 'failed' | 'dead';

/**
 * Runs attempt `attempt` of a delivery and records it. Idempotent per (delivery, attempt): a job
 * retried after its attempt was recorded finds `queued_attempt` moved on and does nothing; a job
 * retried after a crash mid-request sends again with the same `webhook-id` (at least once).
 */
export async function attemptDelivery(deps: DeliveryDeps, job: DeliverJob): Promise<void> {
  const delivery = await loadForAttempt(deps.db, job.deliveryId);
  if (!delivery || delivery.queuedAttempt !== job.attempt || (delivery.status !== 'pending' && delivery.status !== 'failed')) return;
  const metrics = webhookMetrics(deps.metrics);
  if (!delivery.enabled && delivery.eventType !== TEST_EVENT_TYPE) {
    // A disabled endpoint gets nothing; its deliveries wait, dead and replayable, for it to be fixed.
    await deps.db
      .update(d)
      .set({ status: 'dead', nextAttemptAt: null, responseBodyExcerpt: 'Not sent: the endpoint is disabled.' })
      .where(and(eq(d.id, delivery.id), eq(d.queuedAttempt, job.attempt)));
    metrics.deadLetters.inc();
    return;
  }
  const secrets = signingSecrets(deps.config.encryption.keys, { ...delivery, id: delivery.endpointId });
  const result = await deps.sender.send({ url: delivery.url, body: delivery.body, headers: webhookHeaders(secrets, delivery.eventId, delivery.body) });
  const recorded = await recordAttempt(deps, delivery, job.attempt, result);
  if (!recorded) return;
  metrics.attempts.inc({ outcome: recorded.outcome });
  metrics.attemptDuration.observe({ outcome: recorded.outcome }, result.durationMs / 1000);
  if (recorded.outcome === 'dead') metrics.deadLetters.inc();
  if (recorded.disabled) {
    metrics.endpointsDisabled.inc({ reason: recorded.disabled.reason });
    deps.logger.warn({ endpointId: delivery.endpointId, reason: recorded.disabled.reason }, 'webhook endpoint disabled');
    if (recorded.disabled.ownerEmail) {
      await queueMail(deps.jobs, recorded.disabled.ownerEmail, {
        template: 'webhook_endpoint_disabled',
        url: delivery.url,
        reason: recorded.disabled.reason,
        pageLink: `${deps.config.http.appOrigin}/webhooks`,
      });
    }
  }
}

async function recordAttempt(deps: DeliveryDeps, delivery: NonNullable<Awaited<ReturnType<typeof loadForAttempt>>>, attempt: number, result: AttemptResult) {
  const affectsHealth = delivery.eventType !== TEST_EVENT_TYPE;
  const gone = result.status === 410;
  return withTransaction(deps.db, async (tx) => {
    let outcome: Outcome;
    let nextAttemptAt: Date | null = null;
    if (result.ok) outcome = 'succeeded';
    else if (delivery.single || (gone && affectsHealth)) outcome = 'dead';
    else {
      const delay = retryDelaySeconds({ schedule: deps.config.webhooks.retrySchedule, failedAttempts: attempt, retryAfterSeconds: result.retryAfterSeconds });
      if (delay === null) outcome = 'dead';
      else {
        outcome = 'failed';
        nextAttemptAt = new Date(Date.now() + delay * 1000);
      }
    }
    const [updated] = await tx
      .update(d)
      .set({
        status: outcome,
        attempts: sql`${d.attempts} + 1`,
        queuedAttempt: attempt + 1,
        lastAttemptAt: sql`now()`,
        nextAttemptAt,
        responseStatus: result.status,
        responseBodyExcerpt: result.excerpt,
        durationMs: result.durationMs,
      })
      .where(and(eq(d.id, delivery.id), eq(d.queuedAttempt, attempt)))
      .returning({ id: d.id });
    // Another run of the same job recorded this attempt first (a worker presumed dead was not).
    if (!updated) return null;
    if (nextAttemptAt) await queueAttempt(deps.jobs, tx, delivery, attempt + 1, nextAttemptAt);
    const disabled = affectsHealth ? await updateEndpointHealth(tx, delivery.endpointId, result.ok, gone) : null;
    return { outcome, disabled };
  });
}

/**
 * A success clears `failing_since`; a failure starts it. 410 Gone disables at once; a failure when
 * every attempt has failed for 5 days disables too. Answers the owner to email when this call
 * disabled the endpoint (it was enabled before).
 */
async function updateEndpointHealth(tx: Transaction, endpointId: string, ok: boolean, gone: boolean) {
  if (ok) {
    await tx.update(e).set({ failingSince: null }).where(and(eq(e.id, endpointId), sql`${e.failingSince} is not null`));
    return null;
  }
  const [endpoint] = await tx
    .select({ enabled: e.enabled, failingFor: sql<number>`extract(epoch from now() - coalesce(${e.failingSince}, now()))::float8`, ownerId: e.ownerId })
    .from(e)
    .where(eq(e.id, endpointId))
    .for('update')
    .limit(1);
  if (!endpoint) return null;
  const reason = gone ? ('gone' as const) : endpoint.failingFor >= FAILING_DISABLE_SECONDS ? ('failing' as const) : null;
  await tx
    .update(e)
    .set({
      failingSince: sql`coalesce(${e.failingSince}, now())`,
      ...(reason && endpoint.enabled ? { enabled: false, disabledReason: reason, updatedAt: sql`now()` } : {}),
    })
    .where(eq(e.id, endpointId));
  if (!reason || !endpoint.enabled) return null;
  const [owner] = await tx.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, endpoint.ownerId)).limit(1);
  return { reason, ownerEmail: owner?.email ?? null };
}

export function deliverWebhookWorker(deps: DeliveryDeps): JobWorker<DeliverJob> {
  return {
    queue: { ...deliverWebhookQueue, localConcurrency: deps.config.webhooks.concurrency, groupConcurrency: deps.config.webhooks.endpointConcurrency },
    handle: (data) => attemptDelivery(deps, data),
  };
}
