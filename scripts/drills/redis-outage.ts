// redis-outage: two instances share rate limits and cache invalidation through a Redis of the
// drill's own, which stops under load. No call may fail with a 5xx: every policy falls back to the
// per-instance insurance limiter (fail-closed ones too, since it answers), so each instance enforces
// each limit on its own. When Redis returns, the instances use it again without a restart: one
// shared budget again, and a revocation on one instance reaches the other over pub/sub.
import { STRONG_PASSWORD } from '../../test/helpers/server.ts';
import { freePort } from '@bastion/db/embedded';
import { spawnManaged, type ManagedProcess } from '../lib/cluster.ts';
import { check, drillDatabase, log, signUp, sleep, startDrillServer, summary, trpcGet, trpcPost, within, type Answer, type DrillUser } from './harness.ts';

const SESSION_LIMIT = 20;

async function startRedis(port: number): Promise<ManagedProcess> {
  return spawnManaged({
    name: 'redis',
    command: process.env.REDIS_SERVER ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    env: { PATH: process.env.PATH },
    ready: /Ready to accept connections/,
  });
}

/** `count` auth.me calls for `user`, alternating between the instances. */
async function sessionCalls(servers: { url: string }[], user: DrillUser, count: number): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => trpcGet(servers[i % servers.length]!, 'auth.me', {}, user.authorization)));
}

async function storeErrors(server: { url: string }): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('bastion_rate_limit_store_errors_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

export async function redisOutage(): Promise<void> {
  const database = await drillDatabase();
  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    WORKERS: 'off',
    RATE_LIMITS: `*=100000/60,auth.session=${SESSION_LIMIT}/60`,
  };
  const servers = await Promise.all([startDrillServer(env), startDrillServer(env)]);
  let loading = true;
  const background: Answer[] = [];
  try {
    const before = await sessionCalls(servers, await signUp(servers[0]!), SESSION_LIMIT * 2);
    log(`with Redis: ${SESSION_LIMIT * 2} calls of one user over 2 instances: ${summary(before)}`);
    check(before.filter((answer) => answer.status === 200).length === SESSION_LIMIT, `one shared budget of ${SESSION_LIMIT}`);

    // Load throughout: reads, writes and sign-ins (a fail-closed policy) on both instances.
    const loadUser = await signUp(servers[0]!);
    const worker = async (n: number) => {
      for (let i = 0; loading; i++) {
        const server = servers[n % 2]!;
        const answer =
          i % 5 === 0
            ? await trpcPost(server, 'contacts.create', { name: `Load ${n}-${i}` }, loadUser.authorization)
            : i % 5 !== 4
              ? await trpcGet(server, 'contacts.list', {}, loadUser.authorization)
              : await trpcPost(server, 'auth.login', { email: loadUser.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
        background.push(answer);
      }
    };
    const workers = Array.from({ length: 6 }, (_, n) => worker(n));
    await sleep(1000);

    log('stopping Redis under load');
    await redis.stop('SIGKILL');
    await sleep(500);
    const errorsBefore = (await Promise.all(servers.map(storeErrors))).reduce((a, b) => a + b, 0);
    const during = await sessionCalls(servers, await signUp(servers[1]!), SESSION_LIMIT * 4);
    const perInstance = servers.map((_, index) => during.filter((answer, i) => i % 2 === index && answer.status === 200).length);
    log(`without Redis: ${SESSION_LIMIT * 4} calls of one user over 2 instances: ${summary(during)} (allowed per instance: ${perInstance.join(', ')})`);
    check(during.every((answer) => answer.status === 200 || answer.status === 429), `only 200 or 429 without Redis: ${summary(during)}`);
    check(perInstance.every((allowed) => allowed === SESSION_LIMIT), `each instance enforces the limit on its own (insurance limiter): ${perInstance.join(', ')}`);
    const errorsDuring = (await Promise.all(servers.map(storeErrors))).reduce((a, b) => a + b, 0);
    check(errorsDuring > errorsBefore, 'bastion_rate_limit_store_errors_total counts the fallbacks (the alert fires)');
    await sleep(1000);

    log('starting Redis again');
    redis = await startRedis(redisPort);
    const recovered = await within(15_000, 'the instances use Redis again', async () => {
      const errors = (await Promise.all(servers.map(storeErrors))).reduce((a, b) => a + b, 0);
      await trpcGet(servers[0]!, 'health.ping', {});
      await trpcGet(servers[1]!, 'health.ping', {});
      return errors === (await Promise.all(servers.map(storeErrors))).reduce((a, b) => a + b, 0);
    });
    log(`store errors stopped ${recovered.toFixed(0)} ms after Redis started`);
    await sleep(1000);
    loading = false;
    await Promise.all(workers);

    const after = await sessionCalls(servers, await signUp(servers[0]!), SESSION_LIMIT * 2);
    log(`with Redis back: ${summary(after)}`);
    check(after.filter((answer) => answer.status === 200).length === SESSION_LIMIT, `one shared budget again, without a restart: ${summary(after)}`);

    // Pub/sub reconnected: a revocation on one instance reaches the other at once (not the 5 s cache TTL).
    const keeper = await signUp(servers[0]!);
    const second = await trpcPost(servers[0]!, 'auth.login', { email: keeper.email, password: STRONG_PASSWORD, tokenDelivery: 'body' });
    const victim = { authorization: `Bearer ${(second.body as { result: { data: { accessToken: string } } }).result.data.accessToken}` };
    check((await trpcGet(servers[1]!, 'auth.me', {}, victim)).status === 200, 'the second instance serves the session');
    check((await trpcPost(servers[0]!, 'auth.logoutAll', {}, keeper.authorization)).status === 200, 'sign out everywhere');
    const revoked = await within(2000, 'the revocation reaching the other instance over Redis', async () => (await trpcGet(servers[1]!, 'auth.me', {}, victim)).status === 401);
    log(`a revocation reached the other instance in ≤ ${revoked.toFixed(0)} ms`);

    const bad = background.filter((answer) => answer.status === 0 || answer.status >= 500);
    log(`background load: ${background.length} calls, ${summary(background)}`);
    check(bad.length === 0, `no 5xx and no hung calls: ${summary(bad)}`);
  } finally {
    loading = false;
    await Promise.all(servers.map((server) => server.stop()));
    await redis.stop();
    await database.close();
  }
}
