import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { schema, type Database } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import { AppError } from '../../errors/app-error.ts';
import type { JobQueue, JobWorker, QueueDefinition } from '../../lib/job-queue.ts';
import { queueMail } from '../mail/send-mail.job.ts';
import { recordSecurityEvent } from '../security/events.ts';
import { isTransientProviderError, PROVIDER_NAMES, PROVIDERS, providerClient, providerErrorCode, providerSettings, type ProviderId } from './provider.ts';
import { openToken, sealedTokenColumns } from './tokens.ts';

export interface RefreshDeps {
  db: Database;
  config: AppConfig;
  logger: Logger;
  jobs: JobQueue;
  metrics: Registry;
}

/** How long one refresh may hold an account's lock; a crashed holder frees it after this. */
const LEASE_SECONDS = 60;
/** The scheduled refresh renews tokens that expire within this window. */
export const REFRESH_WINDOW_SECONDS = 24 * 3600;
/** Consecutive failed refreshes after which the account needs the user to reconnect it. */
export const MAX_REFRESH_FAILURES = 5;
/** An on-demand token must stay valid at least this long after it is handed out. */
const MIN_VALIDITY_SECONDS = 60;

export type RefreshOutcome = 'refreshed' | 'fresh' | 'busy' | 'not_refreshable' | 'needs_reauth';

/** A failure worth another attempt later (5xx, network); the job is retried with backoff. */
export class TransientRefreshError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(`provider token refresh failed transiently (${code})`);
    this.name = 'TransientRefreshError';
    this.code = code;
  }
}

const a = schema.connectedAccounts;
const workerRequest = (requestId: string) => ({ requestId, ip: null, userAgent: null, authorization: null });

/**
 * Refreshes one account's tokens under its lock (a lease in the row, taken atomically): however
 * many workers and requests ask at once, one refresh runs and the others answer `busy`. Every
 * attempt is recorded in the user's security log. `invalid_grant`, or the MAX_REFRESH_FAILURES-th
 * failure in a row, moves the account to `needs_reauth` and emails the user once.
 */
export async function refreshAccount(deps: RefreshDeps, accountId: string, options: { minValiditySeconds: number; requestId: string }): Promise<RefreshOutcome> {
  const [lease] = await deps.db
    .update(a)
    .set({ refreshLeaseUntil: sql`now() + make_interval(secs => ${LEASE_SECONDS})` })
    .where(and(eq(a.id, accountId), eq(a.status, 'active'), or(isNull(a.refreshLeaseUntil), lt(a.refreshLeaseUntil, sql`now()`))))
    .returning({
      id: a.id,
      userId: a.userId,
      provider: a.provider,
      refreshTokenSealed: a.refreshTokenSealed,
      refreshFailures: a.refreshFailures,
      fresh: sql<boolean>`coalesce(${a.expiresAt} > now() + make_interval(secs => ${options.minValiditySeconds}), false)`,
    });
  if (!lease) {
    const [row] = await deps.db.select({ status: a.status }).from(a).where(eq(a.id, accountId)).limit(1);
    return row?.status === 'active' ? 'busy' : 'not_refreshable';
  }
  const ctx = { db: deps.db, metrics: deps.metrics, request: workerRequest(options.requestId) };
  try {
    if (lease.fresh) return 'fresh';
    const provider = PROVIDERS.find((p) => p === lease.provider);
    const settings = provider ? providerSettings(deps.config, provider) : null;
    if (!lease.refreshTokenSealed || !provider || !settings) return 'not_refreshable';
    let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      const client = await providerClient(settings);
      tokens = await oidc.refreshTokenGrant(client, openToken(deps.config.encryption.keys, 'refresh_token', lease, lease.refreshTokenSealed));
    } catch (error) {
      const code = providerErrorCode(error);
      const failures = lease.refreshFailures + 1;
      const transient = isTransientProviderError(error);
      await recordSecurityEvent(ctx, 'provider_token_refresh_failed', lease.userId, { provider, accountId, error: code, failures, transient });
      if (code === 'invalid_grant' || failures >= MAX_REFRESH_FAILURES) {
        await needsReauth(deps, ctx, { ...lease, provider }, code, failures);
        return 'needs_reauth';
      }
      await deps.db.update(a).set({ refreshFailures: failures, lastRefreshError: code }).where(eq(a.id, accountId));
      throw new TransientRefreshError(code);
    }
    await deps.db
      .update(a)
      .set({ ...sealedTokenColumns(deps.config.encryption.keys, lease, tokens), lastRefreshedAt: sql`now()`, refreshFailures: 0, lastRefreshError: null })
      .where(and(eq(a.id, accountId), eq(a.status, 'active')));
    await recordSecurityEvent(ctx, 'provider_token_refreshed', lease.userId, { provider, accountId, expiresIn: tokens.expires_in ?? null });
    return 'refreshed';
  } finally {
    await deps.db.update(a).set({ refreshLeaseUntil: null }).where(eq(a.id, accountId));
  }
}

/** The move to `needs_reauth` happens once (the status guard), so the email goes once. */
async function needsReauth(deps: RefreshDeps, ctx: Parameters<typeof recordSecurityEvent>[0], account: { id: string; userId: string; provider: ProviderId }, code: string, failures: number) {
  const moved = await deps.db
    .update(a)
    .set({ status: 'needs_reauth', refreshFailures: failures, lastRefreshError: code })
    .where(and(eq(a.id, account.id), eq(a.status, 'active')))
    .returning({ id: a.id });
  if (moved.length === 0) return;
  await recordSecurityEvent(ctx, 'connected_account_needs_reauth', account.userId, { provider: account.provider, accountId: account.id, error: code });
  const [user] = await deps.db.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, account.userId)).limit(1);
  if (!user) return;
  await queueMail(deps.jobs, user.email, {
    template: 'connected_account_needs_reauth',
    provider: PROVIDER_NAMES[account.provider],
    reconnectLink: `${deps.config.http.appOrigin}/account/connected-accounts`,
  });
}

const inFlight = new Map<string, Promise<RefreshOutcome>>();

/** One refresh per account per process; across processes the row's lease decides. */
function refreshOnce(deps: RefreshDeps, accountId: string, requestId: string): Promise<RefreshOutcome> {
  let running = inFlight.get(accountId);
  if (!running) {
    running = refreshAccount(deps, accountId, { minValiditySeconds: MIN_VALIDITY_SECONDS, requestId }).finally(() => inFlight.delete(accountId));
    inFlight.set(accountId, running);
  }
  return running;
}

/**
 * A valid access token of the user's account at `provider`, for features that call its APIs:
 * refreshed on demand (single-flight under the same lock as the scheduled job) when it expires
 * within a minute. Never logged, never returned to a client.
 */
export async function getProviderAccessToken(deps: RefreshDeps, userId: string, provider: ProviderId, requestId = 'provider-token'): Promise<string> {
  const deadline = Date.now() + (LEASE_SECONDS + 5) * 1000;
  for (;;) {
    const [account] = await deps.db
      .select({
        id: a.id,
        userId: a.userId,
        status: a.status,
        accessTokenSealed: a.accessTokenSealed,
        refreshTokenSealed: a.refreshTokenSealed,
        fresh: sql<boolean>`coalesce(${a.expiresAt} > now() + make_interval(secs => ${MIN_VALIDITY_SECONDS}), false)`,
      })
      .from(a)
      .where(and(eq(a.userId, userId), eq(a.provider, provider)))
      .limit(1);
    if (!account) throw new AppError('NOT_FOUND', 'not_connected', `No ${PROVIDER_NAMES[provider]} account is connected.`);
    const reconnect = () => new AppError('PRECONDITION_FAILED', 'reconnect_required', `Reconnect your ${PROVIDER_NAMES[provider]} account to continue.`);
    if (account.status !== 'active') throw reconnect();
    if (account.fresh && account.accessTokenSealed) return openToken(deps.config.encryption.keys, 'access_token', account, account.accessTokenSealed);
    if (!account.refreshTokenSealed) throw reconnect();
    let outcome: RefreshOutcome;
    try {
      outcome = await refreshOnce(deps, account.id, requestId);
    } catch (error) {
      if (error instanceof TransientRefreshError) {
        throw new AppError('SERVICE_UNAVAILABLE', 'provider_unavailable', `${PROVIDER_NAMES[provider]} is not answering. Try again later.`, { cause: error });
      }
      throw error;
    }
    if (outcome === 'needs_reauth' || outcome === 'not_refreshable') throw reconnect();
    if (outcome === 'busy') {
      if (Date.now() > deadline) throw new AppError('SERVICE_UNAVAILABLE', 'provider_unavailable', 'Try again in a moment.');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export const providerRefreshQueue: QueueDefinition = {
  name: 'provider-refresh',
  retryLimit: MAX_REFRESH_FAILURES - 1,
  retryDelay: 30,
  retryDelayMax: 3600,
  deleteAfterSeconds: 86_400,
  // One job per account queued or running (singleton key: the account id).
  policy: 'exclusive',
};

/** A cron expression for "every `seconds`" (the configuration accepts only intervals a cron can express). */
export function cronEvery(seconds: number): string {
  if (seconds < 3600) return `*/${seconds / 60} * * * *`;
  const hours = seconds / 3600;
  return hours === 24 ? '7 4 * * *' : `7 */${hours} * * *`;
}

export const providerRefreshScanQueue = (config: AppConfig): QueueDefinition => ({
  name: 'provider-refresh-scan',
  retryLimit: 2,
  retryDelay: 60,
  retryDelayMax: 600,
  deleteAfterSeconds: 86_400,
  schedule: cronEvery(config.oidc.refreshIntervalSeconds),
});

/** Queues a refresh for every active account whose token expires within the window. */
export async function scanForRefresh(deps: Pick<RefreshDeps, 'db'> & { jobs: JobQueue }): Promise<number> {
  const due = await deps.db
    .select({ id: a.id })
    .from(a)
    .where(and(eq(a.status, 'active'), isNotNull(a.refreshTokenSealed), lt(a.expiresAt, sql`now() + make_interval(secs => ${REFRESH_WINDOW_SECONDS})`)))
    .limit(10_000);
  for (const { id } of due) await deps.jobs.send(providerRefreshQueue.name, { accountId: id }, { singletonKey: id });
  return due.length;
}

export function providerRefreshWorkers(deps: Omit<RefreshDeps, 'jobs'> & { jobs: () => JobQueue; retryDelaySeconds: number }): JobWorker<never>[] {
  const scan: JobWorker<Record<string, never>> = {
    queue: providerRefreshScanQueue(deps.config),
    handle: async () => {
      const queued = await scanForRefresh({ db: deps.db, jobs: deps.jobs() });
      deps.logger.info({ queued }, 'provider token refreshes queued');
    },
  };
  const refresh: JobWorker<{ accountId: string }> = {
    queue: { ...providerRefreshQueue, retryDelay: deps.retryDelaySeconds },
    handle: async ({ accountId }, job) => {
      const outcome = await refreshAccount({ ...deps, jobs: deps.jobs() }, accountId, { minValiditySeconds: REFRESH_WINDOW_SECONDS, requestId: `job:${job.id}` });
      deps.logger.info({ accountId, outcome }, 'provider token refresh');
    },
  };
  return [scan, refresh] as JobWorker<never>[];
}
