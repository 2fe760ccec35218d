import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { schema, withTransaction, type Database } from '@bastion/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordAudit, userActor } from '../audit/audit.service.ts';
import { attemptDelivery, queueAttempt, type DeliveryDeps } from './deliver.ts';
import { deliveryBody } from './dispatcher.ts';
import { TEST_EVENT_TYPE } from './event-types.ts';
import { ROTATION_OVERLAP_SECONDS, sealEndpointSecret, unsealEndpointSecret } from './secrets.ts';
import { createWebhookSender, type WebhookSender } from './sender.ts';
import { generateSecret } from './signature.ts';
import { checkEndpointUrl, UnsafeUrlError } from './ssrf-guard.ts';
import type { CreateEndpoint, DeliveryDto, EndpointDto, ListDeliveries, UpdateEndpoint } from './webhooks.schema.ts';

/** What the webhooks service needs from a request: its dependencies and who is asking. */
export type Caller = Pick<Context, 'db' | 'config' | 'jobs' | 'metrics' | 'log' | 'request'> & { auth: { userId: string } };

export const MAX_ENDPOINTS_PER_USER = 20;
const PAGE_SIZE = 50;
const TEST_FALLBACK_SECONDS = 60;

const e = schema.webhookEndpoints;
const d = schema.webhookDeliveries;

const endpointColumns = {
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
  createdAt: e.createdAt,
  disabledReason: e.disabledReason,
};

type EndpointRow = { id: string; url: string; events: string[]; description: string | null; enabled: boolean; createdAt: Date; disabledReason: string | null };

const toEndpointDto = (row: EndpointRow): EndpointDto => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  disabledReason: row.disabledReason as EndpointDto['disabledReason'],
});

const deliveryColumns = {
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastAttemptAt: d.lastAttemptAt,
  nextAttemptAt: d.nextAttemptAt,
  responseStatus: d.responseStatus,
  responseBodyExcerpt: d.responseBodyExcerpt,
  durationMs: d.durationMs,
};

type DeliveryRow = Omit<DeliveryDto, 'lastAttemptAt' | 'nextAttemptAt' | 'status'> & { status: string; lastAttemptAt: Date | null; nextAttemptAt: Date | null };

const toDeliveryDto = (row: DeliveryRow): DeliveryDto => ({
  ...row,
  status: row.status as DeliveryDto['status'],
  lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
  nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
});

const endpointNotFound = () => new AppError('NOT_FOUND', 'webhook_endpoint_not_found', 'This webhook endpoint does not exist.');
const deliveryNotFound = () => new AppError('NOT_FOUND', 'webhook_delivery_not_found', 'This delivery does not exist.');

const owned = (caller: Caller, id: string) => and(eq(e.ownerId, caller.auth.userId), eq(e.id, id));

/** The URL checks of the SSRF guard, as a field error. */
async function checkedUrl(caller: Caller, url: string): Promise<string> {
  try {
    return (await checkEndpointUrl(url, caller.config.webhooks)).href;
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    throw new AppError('BAD_REQUEST', 'webhook_url_refused', error.message, { fieldErrors: { url: [error.message] } });
  }
}

export async function createEndpoint(caller: Caller, input: CreateEndpoint) {
  const url = await checkedUrl(caller, input.url);
  const id = randomUUID();
  const secret = generateSecret();
  const row = await withTransaction(caller.db, async (tx) => {
    // Serializes one owner's creations, so the limit holds under concurrent calls.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`webhook-endpoints:${caller.auth.userId}`}, 0))`);
    const [existing] = await tx.select({ n: count() }).from(e).where(eq(e.ownerId, caller.auth.userId));
    if ((existing?.n ?? 0) >= MAX_ENDPOINTS_PER_USER) {
      throw new AppError('CONFLICT', 'webhook_endpoint_limit', `You can have at most ${MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first.`);
    }
    const [inserted] = await tx
      .insert(e)
      .values({
        id,
        ownerId: caller.auth.userId,
        url,
        events: input.events,
        description: input.description || null,
        secretSealed: sealEndpointSecret(caller.config.encryption.keys, id, secret),
      })
      .returning(endpointColumns);
    await recordAudit(tx, caller, { actor: userActor(caller.auth.userId), action: 'webhook_endpoint.created', subjectId: caller.auth.userId, detail: { endpointId: id, origin: new URL(url).origin, events: input.events } });
    return inserted!;
  });
  caller.log.info({ endpointId: id }, 'webhook endpoint created');
  const { disabledReason: _, ...dto } = toEndpointDto(row);
  return { ...dto, secret };
}

export async function listEndpoints(caller: Caller): Promise<EndpointDto[]> {
  const rows = await caller.db.select(endpointColumns).from(e).where(eq(e.ownerId, caller.auth.userId)).orderBy(asc(e.createdAt), asc(e.id));
  return rows.map(toEndpointDto);
}

export async function getEndpoint(caller: Caller, id: string): Promise<EndpointDto> {
  const [row] = await caller.db.select(endpointColumns).from(e).where(owned(caller, id)).limit(1);
  if (!row) throw endpointNotFound();
  return toEndpointDto(row);
}

export async function updateEndpoint(caller: Caller, { id, ...patch }: UpdateEndpoint): Promise<EndpointDto> {
  const url = patch.url === undefined ? undefined : await checkedUrl(caller, patch.url);
  const changes = {
    ...(url !== undefined ? { url } : {}),
    ...(patch.events !== undefined ? { events: patch.events } : {}),
    ...(patch.description !== undefined ? { description: patch.description || null } : {}),
    // Enabling starts afresh (the 5-day clock too).
    ...(patch.enabled === true ? { enabled: true, disabledReason: null, failingSince: null } : {}),
    // Disabling by hand says so; an endpoint disabled already (gone, failing) keeps its reason.
    ...(patch.enabled === false ? { enabled: false, disabledReason: sql`case when ${e.enabled} then 'manual' else ${e.disabledReason} end` } : {}),
  };
  const [row] = await caller.db
    .update(e)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(owned(caller, id))
    .returning(endpointColumns);
  if (!row) throw endpointNotFound();
  return toEndpointDto(row);
}

export async function deleteEndpoint(caller: Caller, id: string): Promise<void> {
  await withTransaction(caller.db, async (tx) => {
    const [row] = await tx.delete(e).where(owned(caller, id)).returning({ id: e.id, url: e.url });
    if (!row) throw endpointNotFound();
    await recordAudit(tx, caller, { actor: userActor(caller.auth.userId), action: 'webhook_endpoint.revoked', subjectId: caller.auth.userId, detail: { endpointId: id, origin: new URL(row.url).origin } });
  });
  caller.log.info({ endpointId: id }, 'webhook endpoint deleted');
}

/** A new secret, shown once; the replaced one keeps signing beside it for 24 hours. */
export async function rotateSecret(caller: Caller, id: string): Promise<{ secret: string }> {
  const keys = caller.config.encryption.keys;
  const secret = generateSecret();
  await withTransaction(caller.db, async (tx) => {
    const [current] = await tx.select({ secretSealed: e.secretSealed }).from(e).where(owned(caller, id)).for('update').limit(1);
    if (!current) throw endpointNotFound();
    const previous = unsealEndpointSecret(keys, id, current.secretSealed);
    await tx
      .update(e)
      .set({
        secretSealed: sealEndpointSecret(keys, id, secret),
        previousSecretSealed: sealEndpointSecret(keys, id, previous, 'previous'),
        previousSecretExpiresAt: sql`now() + make_interval(secs => ${ROTATION_OVERLAP_SECONDS})`,
        updatedAt: sql`now()`,
      })
      .where(owned(caller, id));
    await recordAudit(tx, caller, { actor: userActor(caller.auth.userId), action: 'webhook_endpoint.rotated', subjectId: caller.auth.userId, detail: { endpointId: id } });
  });
  caller.log.info({ endpointId: id }, 'webhook secret rotated');
  return { secret };
}

/** One sender per configuration in the API process (test sends); workers build their own. */
const senders = new WeakMap<object, WebhookSender>();
function senderFor(config: Caller['config']['webhooks']): WebhookSender {
  let sender = senders.get(config);
  if (!sender) senders.set(config, (sender = createWebhookSender(config)));
  return sender;
}

const deliveryDeps = (caller: Caller): DeliveryDeps => ({
  db: caller.db,
  config: caller.config,
  logger: caller.log,
  metrics: caller.metrics,
  jobs: caller.jobs,
  sender: senderFor(caller.config.webhooks),
});

async function getDelivery(db: Database, ownerId: string, id: string): Promise<DeliveryDto> {
  const [row] = await db
    .select(deliveryColumns)
    .from(d)
    .where(and(eq(d.ownerId, ownerId), eq(d.id, id)))
    .limit(1);
  if (!row) throw deliveryNotFound();
  return toDeliveryDto(row);
}

/**
 * Sends a `webhook.test` event to the endpoint now, in this request (one attempt, no retries,
 * disabled endpoints included), and answers its delivery. It does not count toward the
 * endpoint's health: a test answered 410 does not disable it.
 */
export async function sendTestEvent(caller: Caller, id: string): Promise<DeliveryDto> {
  const endpoint = await getEndpoint(caller, id);
  const delivery = await withTransaction(caller.db, async (tx) => {
    const [row] = await tx
      .insert(d)
      .values({
        endpointId: endpoint.id,
        ownerId: caller.auth.userId,
        eventId: randomUUID(),
        eventType: TEST_EVENT_TYPE,
        body: deliveryBody({ type: TEST_EVENT_TYPE, occurredAt: new Date(), payload: { endpointId: endpoint.id, message: 'A test event from Bastion.' } }),
        single: true,
      })
      .returning({ id: d.id, endpointId: d.endpointId });
    // A fallback job: if this process dies mid-attempt, a worker sends it a minute later; once the
    // attempt below is recorded, the job is stale and does nothing.
    await queueAttempt(caller.jobs, tx, row!, 1, new Date(Date.now() + TEST_FALLBACK_SECONDS * 1000));
    return row;
  });
  await attemptDelivery(deliveryDeps(caller), { deliveryId: delivery!.id, attempt: 1 });
  return getDelivery(caller.db, caller.auth.userId, delivery!.id);
}

const cursorSchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/), z.uuid()]);
const invalidCursor = () => new AppError('BAD_REQUEST', 'invalid_cursor', 'This page link is no longer valid; start from the first page.');

function decodeCursor(encoded: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor();
  }
}

/** The delivery log of one endpoint, newest first, keyset-paginated on (created_at, id). */
export async function listDeliveries(caller: Caller, input: ListDeliveries) {
  await getEndpoint(caller, input.endpointId);
  const limit = input.limit ?? PAGE_SIZE;
  const conditions: SQL[] = [eq(d.ownerId, caller.auth.userId), eq(d.endpointId, input.endpointId)];
  if (input.status) conditions.push(eq(d.status, input.status));
  if (input.cursor) {
    const [key, id] = decodeCursor(input.cursor);
    conditions.push(sql`(${d.createdAt}, ${d.id}) < (${key}::timestamptz, ${id}::uuid)`);
  }
  const rows = await caller.db
    .select({ ...deliveryColumns, key: sql<string>`to_char(${d.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` })
    .from(d)
    .where(and(...conditions))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ key: _, ...row }) => toDeliveryDto(row)),
    nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify([last.key, last.id])).toString('base64url') : null,
  };
}

/**
 * Re-sends a finished delivery (succeeded or dead) as one new attempt with the same `webhook-id`,
 * queued now. A delivery still being retried is refused: its next attempt is already on its way.
 */
export async function replayDelivery(caller: Caller, deliveryId: string): Promise<DeliveryDto> {
  await withTransaction(caller.db, async (tx) => {
    const [delivery] = await tx
      .select({ id: d.id, endpointId: d.endpointId, status: d.status, attempts: d.attempts, enabled: e.enabled })
      .from(d)
      .innerJoin(e, eq(e.id, d.endpointId))
      .where(and(eq(d.ownerId, caller.auth.userId), eq(d.id, deliveryId)))
      .for('update', { of: d })
      .limit(1);
    if (!delivery) throw deliveryNotFound();
    if (delivery.status === 'pending' || delivery.status === 'failed') {
      throw new AppError('CONFLICT', 'webhook_delivery_in_progress', 'This delivery is still being retried; wait for its next attempt.');
    }
    if (!delivery.enabled) throw new AppError('CONFLICT', 'webhook_endpoint_disabled', 'Enable the endpoint first, then replay its deliveries.');
    const attempt = delivery.attempts + 1;
    await tx
      .update(d)
      .set({ status: 'pending', single: true, queuedAttempt: attempt, nextAttemptAt: sql`now()` })
      .where(eq(d.id, delivery.id));
    await queueAttempt(caller.jobs, tx, delivery, attempt);
  });
  caller.log.info({ deliveryId }, 'webhook delivery replayed');
  return getDelivery(caller.db, caller.auth.userId, deliveryId);
}
