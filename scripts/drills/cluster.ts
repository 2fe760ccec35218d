// cluster: three instances behind HAProxy (the `pnpm cluster` setup) over one database. Through the
// balancer, limits hold as one budget (rate limit, token budget, lockout); revocations and
// preference changes reach every instance within 2 s; SIGTERM to one instance under load loses no
// request; SIGKILL loses only that instance's in-flight mutations and HAProxy's checks take it out.
import postgres from 'postgres';
import { STRONG_PASSWORD, TEST_ENV } from '../../test/helpers/server.ts';
import { startCluster, type Cluster } from '../lib/cluster.ts';
import { check, drillDatabase, log, signUp, sleep, summary, trpcGet, trpcPost, within, type Answer, type DrillUser } from './harness.ts';

const PING_LIMIT = 30;
const TOKEN_BUDGET = 400;
const CHECK_INTERVAL_MS = 500;

interface Routed extends Answer {
  instance?: string;
}

/** A call through the balancer, remembering which instance answered. */
async function viaBalancer(cluster: Cluster, method: 'GET' | 'POST', procedure: string, input: unknown, headers: Record<string, string> = {}): Promise<Routed> {
  const started = performance.now();
  try {
    const url = method === 'GET' ? `${cluster.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}` : `${cluster.url}/trpc/${procedure}`;
    const response = await fetch(url, {
      method,
      headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(method === 'POST' ? { body: JSON.stringify(input) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // HAProxy's own error pages are HTML.
    }
    const reason = (body as { error?: { data?: { reason?: string } } })?.error?.data?.reason;
    return { status: response.status, ms: performance.now() - started, body, instance: response.headers.get('x-bastion-instance') ?? undefined, ...(reason ? { reason } : {}) };
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, ms: performance.now() - started, reason: (error as Error).name === 'TimeoutError' ? 'client_timeout' : `${(error as Error).message}: ${cause?.code ?? cause?.message ?? ''}` };
  }
}

const instancesOf = (answers: Routed[]) => new Set(answers.map((answer) => answer.instance).filter(Boolean));

async function oneBudget(cluster: Cluster, sql: postgres.Sql): Promise<void> {
  // health.ping: PING_LIMIT per address per minute. A forged X-Forwarded-For changes nothing:
  // HAProxy replaces it, and the instances trust exactly that one hop.
  const pings = await Promise.all(
    Array.from({ length: PING_LIMIT * 2 }, (_, i) => viaBalancer(cluster, 'GET', 'health.ping', {}, i % 2 ? { 'x-forwarded-for': `203.0.113.${i}` } : {})),
  );
  const allowed = pings.filter((answer) => answer.status === 200).length;
  log(`rate limit: ${PING_LIMIT * 2} pings over ${instancesOf(pings).size} instances: ${summary(pings)}`);
  check(instancesOf(pings).size === cluster.instances.length, 'the pings were spread over every instance');
  check(allowed === PING_LIMIT, `one budget of ${PING_LIMIT}, not one per instance: ${allowed} allowed`);
  check(pings.every((answer) => answer.status === 200 || answer.status === 429), `only 200 or 429: ${summary(pings)}`);

  // Token budget: parallel assistant calls over every instance never spend more than the day's budget.
  const user = await signUp({ url: cluster.url });
  await sql`update users set email_verified_at = now() where email = ${user.email}`;
  const models = await viaBalancer(cluster, 'GET', 'assistant.models', {}, user.authorization);
  const modelId = (models.body as { result?: { data?: { models?: string[] } } }).result?.data?.models?.[0];
  check(models.status === 200 && modelId, `assistant.models: ${models.status} ${JSON.stringify(models.body)}`);
  const chats = await Promise.all(
    Array.from({ length: 30 }, (_, i) => viaBalancer(cluster, 'POST', 'assistant.chat', { model: modelId, messages: [{ role: 'user', content: `budget ${i}` }], maxTokens: 50 }, user.authorization)),
  );
  const [usage] = await sql<{ tokens: number }[]>`select coalesce(sum(tokens), 0)::int as tokens from assistant_token_usage u join users on users.id = u.user_id where users.email = ${user.email}`;
  log(`token budget ${TOKEN_BUDGET}: 30 chats over ${instancesOf(chats).size} instances: ${summary(chats)}; ${usage!.tokens} tokens charged`);
  check(chats.every((answer) => answer.status === 200 || answer.reason === 'token_budget_exceeded'), `only answers or token_budget_exceeded: ${summary(chats)}`);
  check(chats.some((answer) => answer.reason === 'token_budget_exceeded'), 'the budget ran out');
  check(usage!.tokens <= TOKEN_BUDGET, `never more than the one budget: ${usage!.tokens} > ${TOKEN_BUDGET}`);

  // Lockout: LOCKOUT_THRESHOLD (5) failures, each on whichever instance, lock the account.
  const victim = await signUp({ url: cluster.url });
  const attempts: Routed[] = [];
  for (let i = 0; i < 5; i++) attempts.push(await viaBalancer(cluster, 'POST', 'auth.login', { email: victim.email, password: 'wrong password, attempt ' + i, tokenDelivery: 'body' }));
  const correct = await viaBalancer(cluster, 'POST', 'auth.login', { email: victim.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  log(`lockout: 5 wrong passwords on ${[...instancesOf(attempts)].join(', ')}, then the right one on ${correct.instance}: ${correct.status} ${correct.reason ?? ''}`);
  check(instancesOf(attempts).size > 1, 'the failures were spread over instances');
  check(correct.status === 429 && correct.reason === 'account_locked', `the account is locked on every instance: ${correct.status} ${correct.reason}`);
}

/** Polls an instance directly until the change shows there; fails past 2 s. */
const reachesWithin2s = (what: string, predicate: () => Promise<boolean>) => within(2000, what, predicate);

async function invalidationReachesEveryInstance(cluster: Cluster): Promise<void> {
  const direct = cluster.instances.map((instance) => ({ url: instance.url, name: instance.name }));

  // Session revocation: every instance has the victim session cached as live.
  const keeper = await signUp({ url: cluster.url });
  const login = await trpcPost({ url: cluster.url }, 'auth.login', { email: keeper.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
  const victimToken = (login.body as { result: { data: { accessToken: string } } }).result.data.accessToken;
  for (const instance of direct) check((await trpcGet(instance, 'auth.me', {}, { authorization: `Bearer ${victimToken}` })).status === 200, `${instance.name} serves the session`);
  const sessions = await trpcGet({ url: cluster.url }, 'auth.sessions.list', {}, keeper.authorization);
  const victimSession = (sessions.body as { result: { data: { id: string; current: boolean }[] } }).result.data.find((session) => !session.current);
  check(victimSession, 'the second session is listed');
  check((await trpcPost({ url: cluster.url }, 'auth.sessions.revoke', { sessionId: victimSession.id }, keeper.authorization)).status === 200, 'revoke the session');
  for (const instance of direct) {
    const ms = await reachesWithin2s(`session revocation on ${instance.name}`, async () => (await trpcGet(instance, 'auth.me', {}, { authorization: `Bearer ${victimToken}` })).status === 401);
    log(`session revocation reached ${instance.name} in ≤ ${ms.toFixed(0)} ms`);
  }

  // API key revocation.
  const created = await trpcPost({ url: cluster.url }, 'apiKeys.create', { name: 'cluster drill', scopes: ['contacts:read'] }, keeper.authorization);
  const key = (created.body as { result?: { data?: { key?: string; id?: string } } }).result?.data;
  check(created.status === 200 && key?.key && key.id, `apiKeys.create: ${created.status} ${JSON.stringify(created.body)}`);
  for (const instance of direct) check((await trpcGet(instance, 'contacts.list', {}, { authorization: `Bearer ${key.key}` })).status === 200, `${instance.name} accepts the key`);
  check((await trpcPost({ url: cluster.url }, 'apiKeys.revoke', { id: key.id }, keeper.authorization)).status === 200, 'revoke the key');
  for (const instance of direct) {
    const ms = await reachesWithin2s(`API key revocation on ${instance.name}`, async () => (await trpcGet(instance, 'contacts.list', {}, { authorization: `Bearer ${key.key}` })).status === 401);
    log(`API key revocation reached ${instance.name} in ≤ ${ms.toFixed(0)} ms`);
  }

  // Preferences: each instance caches them (PREFERENCES_CACHE_TTL_MS, 60 s); an update evicts everywhere.
  const themeOf = (answer: Answer) => (answer.body as { result?: { data?: { theme?: string } } }).result?.data?.theme;
  for (const instance of direct) check(themeOf(await trpcGet(instance, 'preferences.get', {}, keeper.authorization)) !== 'dark', `${instance.name} caches the default theme`);
  check((await trpcPost({ url: cluster.url }, 'preferences.update', { theme: 'dark' }, keeper.authorization)).status === 200, 'update the preferences');
  for (const instance of direct) {
    const ms = await reachesWithin2s(`preferences on ${instance.name}`, async () => themeOf(await trpcGet(instance, 'preferences.get', {}, keeper.authorization)) === 'dark');
    log(`preferences change reached ${instance.name} in ≤ ${ms.toFixed(0)} ms`);
  }
}

/** Reads and writes through the balancer, 8 at a time, until `stop()`. */
function load(cluster: Cluster, user: DrillUser) {
  const answers: (Routed & { kind: 'query' | 'mutation'; at: number })[] = [];
  let running = true;
  const loop = async (n: number) => {
    for (let i = 0; running; i++) {
      const kind = i % 2 ? 'query' : 'mutation';
      const answer = kind === 'query' ? await viaBalancer(cluster, 'GET', 'contacts.list', { limit: 5 }, user.authorization) : await viaBalancer(cluster, 'POST', 'contacts.create', { name: `Load ${n}-${i}` }, user.authorization);
      answers.push({ ...answer, kind, at: performance.now() });
    }
  };
  const loops = Array.from({ length: 8 }, (_, n) => loop(n));
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function sigterm(cluster: Cluster, user: DrillUser): Promise<void> {
  const traffic = load(cluster, user);
  await sleep(1000);
  const target = cluster.instances[0]!;
  log(`SIGTERM to ${target.name} under load`);
  const stopped = target.stop('SIGTERM');
  const down = await within(5000, `HAProxy takes ${target.name} out after SIGTERM`, async () => (await cluster.backendStates())[target.name]?.startsWith('DOWN') ?? false);
  log(`${target.name} marked down by HAProxy ${down.toFixed(0)} ms after SIGTERM`);
  await stopped;
  await sleep(1000);
  await traffic.stop();
  const failed = traffic.answers.filter((answer) => answer.status !== 200);
  log(`load during the SIGTERM: ${traffic.answers.length} calls, ${summary(traffic.answers)}`);
  check(failed.length === 0, `SIGTERM loses no request: ${summary(failed)}`);
  check(target.output().includes('not ready, still serving'), 'the instance turned not ready before it stopped accepting');
  await cluster.restartInstance(0);
  await within(10_000, `${target.name} back up`, async () => (await cluster.backendStates())[target.name] === 'UP');
}

const IN_FLIGHT_GRACE_MS = 250;

async function sigkill(cluster: Cluster, user: DrillUser): Promise<void> {
  const traffic = load(cluster, user);
  await sleep(1000);
  const target = cluster.instances[1]!;
  log(`SIGKILL to ${target.name} under load`);
  await target.stop('SIGKILL');
  // Its sockets close when the process is gone (the wait above), and HAProxy sees a reused idle
  // connection closed only when it tries it: a call that reached the instance up to then was in
  // flight on it. A machine under load stretches both, hence the grace.
  const goneAt = performance.now();
  const down = await within(3 * cluster.checkIntervalMs + 1000, `HAProxy takes ${target.name} out after SIGKILL`, async () => (await cluster.backendStates())[target.name]?.startsWith('DOWN') ?? false);
  const downAt = performance.now();
  log(`${target.name} marked down ${down.toFixed(0)} ms after SIGKILL (checks every ${cluster.checkIntervalMs} ms, fall 2)`);
  await sleep(1500);
  await traffic.stop();
  const failed = traffic.answers.filter((answer) => answer.status !== 200);
  log(`load during the SIGKILL: ${traffic.answers.length} calls, ${summary(traffic.answers)}; failed: ${failed.map((answer) => `${answer.kind} ${answer.status}`).join(', ')}`);
  // Lost: only mutations in flight on the killed instance (8 loops: at most 8). HAProxy retries
  // queries on another instance, and refused connections anywhere; a mutation whose instance died
  // under it gets a 502 or its connection closed: it may or may not have been applied.
  check(failed.length <= 8, `at most the in-flight calls are lost: ${failed.length}`);
  check(failed.every((answer) => answer.kind === 'mutation' && (answer.status === 502 || answer.reason?.includes('UND_ERR_SOCKET'))), `only in-flight mutations fail (502 or a closed connection): ${summary(failed)}`);
  check(failed.every((answer) => answer.at - answer.ms <= goneAt + IN_FLIGHT_GRACE_MS), `every lost call had started before the instance was gone (+${IN_FLIGHT_GRACE_MS} ms)`);
  check(traffic.answers.filter((answer) => answer.at > downAt).every((answer) => answer.status === 200), 'after the checks took it out, every call succeeds');
  await cluster.restartInstance(1);
  await within(10_000, `${target.name} back up`, async () => (await cluster.backendStates())[target.name] === 'UP');
}

export async function clusterDrill(): Promise<void> {
  const database = await drillDatabase();
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const cluster = await startCluster({
    databaseUrl: database.url,
    instances: 3,
    checkIntervalMs: CHECK_INTERVAL_MS,
    env: {
      PATH: process.env.PATH,
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      DB_POOL_MAX: '4',
      RATE_LIMIT_POOL_MAX: '2',
      RATE_LIMITS: `*=100000/60,health.ping=${PING_LIMIT}/60`,
      AI_DAILY_TOKEN_BUDGET: String(TOKEN_BUDGET),
      AI_REQUESTS_PER_MINUTE: '10000',
    },
  });
  try {
    log(`${cluster.instances.length} instances and a worker behind HAProxy at ${cluster.url}`);
    await oneBudget(cluster, sql);
    await invalidationReachesEveryInstance(cluster);
    const user = await signUp({ url: cluster.url });
    await sigterm(cluster, user);
    await sigkill(cluster, user);
  } finally {
    await cluster.stop();
    await sql.end();
    await database.close();
  }
}
