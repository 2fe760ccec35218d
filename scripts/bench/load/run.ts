import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem, tmpdir, type as osType, release } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { SMTPServer } from 'smtp-server';
import { BenchmarkInvalid } from '../measure.ts';
import { benchDatabase, type BenchDatabase } from '../database.ts';
import { runLoad, type LoadRequest } from './load.ts';
import { benchServerEnv, freePort, startComparator, startProductionServer, type Service } from './processes.ts';
import { median, ratioAtMost, ratioTo, summarize, type Comparison, type Measure, type ScenarioResult, type TargetSummary } from './stats.ts';

export const SCENARIOS = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface LoadBenchOptions {
  /** A PostgreSQL server URL: the run makes (and drops) a throwaway `bench_*` database there. Unset: embedded. */
  databaseUrl?: string | undefined;
  /** Set: S5 also measures the Redis rate-limit store. */
  redisUrl?: string | undefined;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number[];
  only: readonly ScenarioId[];
  /** DB_POOL_MAX of the server and of every comparator with a pool. */
  poolMax: number;
  /** S4: connections of the login flood (at most 100, LOCKOUT_THRESHOLD's maximum), and the fixed rate of the S1 probe beside it. */
  floodConnections: number;
  probeRate: number;
  /** S5: the points of the limited policy (health.ping per hour); the warm-up burst sends 10×. */
  burstLimit: number;
  /** S6: connections held open. */
  heldConnections: number;
  /** Keep the servers' log files (their path is in the report). */
  keepLogs?: boolean;
  /** Write V8 CPU profiles of every server process (`--cpu-prof`) into this folder. */
  cpuProfileDir?: string;
  /** Extra node flags for Bastion's servers only (experiments: `--server-node-args "--max-semi-space-size=8"`). */
  serverNodeArgs?: readonly string[];
  progress?: (line: string) => void;
}

export const DEFAULT_OPTIONS: LoadBenchOptions = {
  durationSeconds: 5,
  warmupSeconds: 2,
  rounds: 3,
  connections: [100, 1000],
  only: SCENARIOS,
  poolMax: 10,
  floodConnections: 50,
  probeRate: 200,
  burstLimit: 100,
  heldConnections: 1000,
};

export interface Check {
  scenario: string;
  what: string;
  same: boolean;
  detail?: string;
}

export interface LoadReport {
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGB: number; os: string; node: string; database: 'embedded' | 'DATABASE_URL' };
  options: Omit<LoadBenchOptions, 'progress' | 'databaseUrl' | 'redisUrl'> & { redis: boolean };
  scenarios: ScenarioResult[];
  /** Every comparator answered the same data as the production server (checked before timing). */
  checks: Check[];
  /** What the checks compared, for the smoke test to compare again. */
  answers: {
    S1?: Record<string, unknown>;
    S2?: { production: string[]; floor: string[] };
    S3?: { production: Record<string, unknown>; floor: Record<string, unknown>; outboxRows: { production: number; floor: number } };
    S7?: { batched: string[]; separate: string[] };
  };
  targets: Comparison[];
  server: { rssAfterMB: number; logFile: string; logBytes: number; logLines: number; logErrorLines: number; logMessages: { level: string; msg: string; count: number }[] };
}

const COMPARATOR_KINDS = ['http', 'express', 'trpc', 'floor'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A target of one measured run: who answers, what it is sent, which statuses are expected. */
interface Target {
  name: string;
  role: TargetSummary['role'];
  service: Service;
  requests: LoadRequest[];
  expectedStatus?: number[];
  itemsPerRequest?: number;
  overallRate?: number;
  connections?: number;
  holdIdle?: number;
}

async function measure(target: Target, connections: number, durationSeconds: number, extra: { amount?: number } = {}): Promise<Measure> {
  const before = target.service.cpuMicros();
  const result = await runLoad({
    url: target.service.url,
    connections: target.connections ?? connections,
    durationSeconds,
    requests: target.requests,
    ...(target.overallRate ? { overallRate: target.overallRate } : {}),
    ...(target.holdIdle ? { holdIdle: target.holdIdle } : {}),
    ...extra,
  });
  const cpu = target.service.cpuMicros() - before;
  const expected = new Set(target.expectedStatus ?? [200]);
  const unexpectedStatus = Object.entries(result.statusCodes).reduce((sum, [code, count]) => sum + (expected.has(Number(code)) ? 0 : count), 0);
  const rssMB = target.service.rssBytes() / 1e6;
  await settle(target.service);
  return {
    ...result,
    cpuMicrosPerRequest: result.requests ? cpu / result.requests : 0,
    rssMB,
    unexpectedStatus,
    goodRps: result.seconds ? (result.requests - unexpectedStatus) / result.seconds : 0,
    unanswered: Math.max(0, result.sent - result.requests - result.errors),
  };
}

/**
 * Waits (at most 10 s) until the server has worked off what the run left queued, so its backlog
 * does not take CPU from the next target's run on a small machine.
 */
async function settle(service: Service): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = service.cpuMicros();
    await sleep(100);
    if (service.cpuMicros() - before <= 10_000) return; // under 10 % of one core
  }
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text), headers: response.headers };
  } catch {
    return { status: response.status, body: text, headers: response.headers };
  }
}

const dataOf = (body: unknown) => (body as { result?: { data?: unknown } }).result?.data;

/** Warn-and-above log lines grouped by level and message, most frequent first: what went wrong under load. */
function logMessages(lines: string[]): { level: string; msg: string; count: number }[] {
  const counts = new Map<string, { level: string; msg: string; count: number }>();
  for (const line of lines) {
    const level = /"level":"?(\w+)"?/.exec(line)?.[1] ?? '?';
    if (!['warn', 'error', 'fatal', '40', '50', '60'].includes(level)) continue;
    const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '(no message)';
    const key = `${level} ${msg}`;
    const entry = counts.get(key) ?? { level, msg, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count).slice(0, 10);
}

/** A sink for the server's mail (verification, sign-in alerts): SMTP_URL is required in production. */
export async function startMailSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => callback());
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A local OTLP/HTTP collector stand-in for S8: accepts trace exports and counts them. */
async function startTraceSink(): Promise<{ url: string; exports: () => number; close(): Promise<void> }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports++;
      // An empty ExportTraceServiceResponse is zero bytes of protobuf.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, exports: () => exports, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The whole benchmark; the caller prints the report. */
export async function runLoadBenchmark(input: Partial<LoadBenchOptions>): Promise<LoadReport> {
  const options: LoadBenchOptions = { ...DEFAULT_OPTIONS, ...input };
  const log = options.progress ?? (() => {});
  const started = Date.now();
  const only = new Set(options.only);
  const workDir = mkdtempSync(path.join(tmpdir(), 'bastion-load-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      await step().catch((error: unknown) => console.error('cleanup:', error));
    }
    if (!options.keepLogs) rmSync(workDir, { recursive: true, force: true });
  };

  try {
    log('starting PostgreSQL and a throwaway database');
    const database: BenchDatabase = await benchDatabase(options.databaseUrl);
    cleanups.push(() => database.close());
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const mail = await startMailSink();
    cleanups.push(() => mail.close());

    const jwtSecret = randomBytes(32).toString('base64');
    const port = await freePort();
    const serverEnv = (extra: Record<string, string> = {}) => ({
      ...benchServerEnv({ port, databaseUrl: database.url, jwtSecret, mailUrl: mail.url, poolMax: options.poolMax }),
      ...extra,
    });
    const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProfileDir)}`] : [];
    const comparatorEnv = { DATABASE_URL: database.url, DB_POOL_MAX: String(options.poolMax), JWT_SECRET: jwtSecret };
    const comparators = new Map<string, Promise<Service>>();
    const comparator = (kind: string) => {
      let running = comparators.get(kind);
      if (!running) {
        running = startComparator(kind, kind, comparatorEnv, nodeArgs);
        comparators.set(kind, running);
        cleanups.push(() => running!.then((service) => service.stop()));
      }
      return running;
    };
    const kinds = [...(only.has('S1') ? COMPARATOR_KINDS.slice(0, 3) : []), ...(['S2', 'S3', 'S6'].some((id) => only.has(id as ScenarioId)) ? ['floor'] : [])];
    for (const kind of kinds) void comparator(kind).catch(() => {}); // booting beside the server; awaited where used
    const logFile = path.join(workDir, 'server.log');
    log(`starting the production server (log: ${logFile})`);
    const serverNodeArgs = [...nodeArgs, ...(options.serverNodeArgs ?? [])];
    const server = await startProductionServer({ name: 'production', env: serverEnv(), logFile, port, nodeArgs: serverNodeArgs });
    cleanups.push(() => server.stop());

    // ---- seed: three users through the API, 30 contacts for the reader
    const password = `load-bench-${randomBytes(12).toString('hex')}`;
    const signUp = async (label: string) => {
      const email = `${label}-${randomBytes(4).toString('hex')}@bench.example`;
      const registered = await fetchJson(`${server.url}/trpc/auth.register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, name: label }),
      });
      if (registered.status !== 200) throw new Error(`register ${label}: ${registered.status} ${JSON.stringify(registered.body)}`);
      const login = await fetchJson(`${server.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, tokenDelivery: 'body' }),
      });
      const data = dataOf(login.body) as { accessToken?: string; user?: { id: string } } | undefined;
      if (login.status !== 200 || !data?.accessToken || !data.user) throw new Error(`login ${label}: ${login.status} ${JSON.stringify(login.body)}`);
      return { email, id: data.user.id, auth: { authorization: `Bearer ${data.accessToken}` } };
    };
    const [reader, writer, flooder] = await Promise.all([signUp('reader'), signUp('writer'), signUp('flooder')]);
    // Verified, as a real user would be (contacts do not require it; other procedures might).
    await sql`update users set email_verified_at = now() where id in ${sql([reader.id, writer.id, flooder.id])}`;
    await sql`insert into contacts (owner_id, name, email, company, tags, notes, created_at, updated_at)
      select ${reader.id}, 'Contact ' || i, 'contact' || i || '@bench.example', 'Acme', array['bench', 'load'], 'seeded',
             now() - i * interval '1 minute', now() - i * interval '1 minute'
      from generate_series(1, 30) as i`;
    const contactIds = (await sql<{ id: string }[]>`select id from contacts where owner_id = ${reader.id} order by created_at desc limit 10`).map((row) => row.id);

    const checks: Check[] = [];
    const answers: LoadReport['answers'] = {};
    const check = (scenario: string, what: string, same: boolean, detail?: string) => {
      checks.push({ scenario, what, same, ...(detail ? { detail } : {}) });
      if (!same) throw new BenchmarkInvalid(`${scenario}: ${what}${detail ? ` (${detail})` : ''}`);
    };
    const scenarios: ScenarioResult[] = [];

    /**
     * Warm-up, then interleaved rounds: each target in turn, the order rotating every round. With
     * `simultaneous`, every round loads all targets at once instead, so a slow moment of the
     * machine falls on all of them alike (for targets that differ by a few microseconds per call).
     */
    const rounds = async (id: string, connections: number, targets: Target[], { count = options.rounds, simultaneous = false } = {}): Promise<TargetSummary[]> => {
      if (options.warmupSeconds > 0) for (const target of targets) await measure(target, connections, options.warmupSeconds);
      const measured = new Map<string, Measure[]>(targets.map((target) => [target.name, []]));
      const record = (round: number, target: Target, result: Measure) => {
        measured.get(target.name)!.push(result);
        log(`${id} c=${(target.connections ?? connections) + (target.holdIdle ?? 0)} round ${round + 1}/${count} ${target.name}: ${result.rps.toFixed(0)} req/s, p99 ${result.latency.p99} ms, errors ${result.errors}, non-2xx ${result.non2xx}`);
      };
      for (let round = 0; round < count; round++) {
        if (simultaneous) {
          const results = await Promise.all(targets.map((target) => measure(target, connections, options.durationSeconds)));
          targets.forEach((target, i) => record(round, target, results[i]!));
          continue;
        }
        for (let i = 0; i < targets.length; i++) {
          const target = targets[(round + i) % targets.length]!;
          record(round, target, await measure(target, connections, options.durationSeconds));
        }
      }
      return targets.map((target) =>
        summarize(target.name, target.role, measured.get(target.name)!, { itemsPerRequest: target.itemsPerRequest ?? 1, bastion: !COMPARATOR_KINDS.includes(target.service.name) }),
      );
    };
    const find = (targets: TargetSummary[], name: string) => targets.find((target) => target.name === name)!;
    const rpsRatio = (targets: TargetSummary[], subject: string, against: string, minimum?: number) => {
      const a = find(targets, subject).median;
      const b = find(targets, against).median;
      return ratioTo(`${subject} / ${against} good req/s`, (a.goodRps * find(targets, subject).itemsPerRequest) / Math.max(b.goodRps * find(targets, against).itemsPerRequest, 1e-9), minimum);
    };

    const ping: LoadRequest = { method: 'GET', path: '/trpc/health.ping' };
    const listPath = `/trpc/contacts.list?input=${encodeURIComponent('{}')}`;
    const list: LoadRequest = { method: 'GET', path: listPath, headers: reader.auth };
    const createBody = JSON.stringify({ name: 'Load test contact', company: 'Acme' });
    const create = (auth: Record<string, string>): LoadRequest => ({ method: 'POST', path: '/trpc/contacts.create', headers: { ...auth, 'content-type': 'application/json' }, body: createBody });

    // ---- S1: health.ping, full stack vs bare servers
    if (only.has('S1')) {
      const bare = await Promise.all(['http', 'express', 'trpc'].map(comparator));
      const normalize = (body: unknown) => JSON.stringify(body).replace(/"time":"[^"]+"/, '"time":"<iso>"');
      const production = await fetchJson(`${server.url}${ping.path}`);
      answers.S1 = { production: production.body };
      for (const service of bare) {
        const answer = await fetchJson(`${service.url}${ping.path}`);
        answers.S1[service.name] = answer.body;
        check('S1', `${service.name} answers health.ping like the server`, answer.status === production.status && normalize(answer.body) === normalize(production.body), normalize(answer.body));
      }
    }
    if (only.has('S1')) {
      for (const connections of options.connections) {
        const targets = await rounds('S1', connections, [
          { name: 'production', role: 'subject', service: server, requests: [ping] },
          { name: 'node:http', role: 'comparator', service: await comparator('http'), requests: [ping] },
          { name: 'express', role: 'comparator', service: await comparator('express'), requests: [ping] },
          { name: 'trpc+express', role: 'comparator', service: await comparator('trpc'), requests: [ping] },
        ]);
        scenarios.push({
          id: 'S1',
          title: 'GET health.ping: full production stack vs bare servers',
          connections,
          targets,
          comparisons: [rpsRatio(targets, 'production', 'trpc+express', 0.9), rpsRatio(targets, 'production', 'express'), rpsRatio(targets, 'production', 'node:http')],
        });
      }
    }

    // ---- S2 / S6: contacts.list vs the raw floor
    let listMax = 0;
    if (only.has('S2') || only.has('S6')) {
      const floor = await comparator('floor');
      {
        const production = await fetchJson(`${server.url}${listPath}`, { headers: reader.auth });
        const raw = await fetchJson(`${floor.url}${listPath}`, { headers: reader.auth });
        const items = (body: unknown) => ((dataOf(body) as { items?: { id: string }[] } | undefined)?.items ?? []);
        answers.S2 = { production: items(production.body).map((item) => item.id), floor: items(raw.body).map((item) => item.id) };
        check('S2', 'the raw floor lists the same 20 contacts as contacts.list', production.status === 200 && items(production.body).length === 20 && JSON.stringify(items(production.body)) === JSON.stringify(items(raw.body)));
      }
    }
    if (only.has('S2')) {
      for (const connections of options.connections) {
        const targets = await rounds('S2', connections, [
          { name: 'production', role: 'subject', service: server, requests: [list] },
          { name: 'raw floor', role: 'comparator', service: await comparator('floor'), requests: [list] },
        ]);
        listMax = Math.max(listMax, find(targets, 'production').median.rps);
        scenarios.push({ id: 'S2', title: 'contacts.list (20 rows, warm), authenticated, vs node:http + jsonwebtoken + postgres.js', connections, targets, comparisons: [rpsRatio(targets, 'production', 'raw floor', 0.7)] });
      }
    }

    // ---- S3: contacts.create vs the raw floor's INSERT + outbox row in one transaction
    if (only.has('S3')) {
      const floor = await comparator('floor');
      const production = await fetchJson(`${server.url}/trpc/contacts.create`, { method: 'POST', headers: create(writer.auth).headers!, body: createBody });
      const raw = await fetchJson(`${floor.url}/trpc/contacts.create`, { method: 'POST', headers: create(writer.auth).headers!, body: createBody });
      const shape = (body: unknown) => {
        const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = (dataOf(body) ?? {}) as Record<string, unknown>;
        return rest;
      };
      const outbox = async (body: unknown) => {
        const id = (dataOf(body) as { id?: string } | undefined)?.id ?? '00000000-0000-0000-0000-000000000000';
        const [row] = await sql<{ count: number }[]>`select count(*)::int as count from outbox_events where aggregate_id = ${id} and type = 'contact.created'`;
        return row!.count;
      };
      answers.S3 = { production: shape(production.body), floor: shape(raw.body), outboxRows: { production: await outbox(production.body), floor: await outbox(raw.body) } };
      check('S3', 'the raw floor creates the same contact and one outbox row', production.status === 200 && JSON.stringify(answers.S3.production) === JSON.stringify(answers.S3.floor) && answers.S3.outboxRows.production === 1 && answers.S3.outboxRows.floor === 1);
      for (const connections of options.connections) {
        const targets = await rounds('S3', connections, [
          { name: 'production', role: 'subject', service: server, requests: [create(writer.auth)] },
          { name: 'raw floor', role: 'comparator', service: floor, requests: [create(writer.auth)] },
        ]);
        scenarios.push({ id: 'S3', title: 'contacts.create (INSERT + outbox row), authenticated, vs the raw floor', connections, targets, comparisons: [rpsRatio(targets, 'production', 'raw floor', 0.7)] });
      }
    }

    // ---- S4: a login flood beside S1 at a fixed rate
    if (only.has('S4')) {
      const loginRequest: LoadRequest = {
        method: 'POST',
        path: '/trpc/auth.login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: flooder.email, password, tokenDelivery: 'body' }),
      };
      const signedIn = await fetchJson(`${server.url}${loginRequest.path}`, { method: 'POST', headers: loginRequest.headers!, body: loginRequest.body! });
      check('S4', 'the flood signs in (argon2id verify runs)', signedIn.status === 200 && (dataOf(signedIn.body) as { status?: string } | undefined)?.status === 'authenticated');
      for (const connections of options.connections) {
        // autocannon opens no more connections than the rate.
        const probe: Target = { name: 'S1 probe', role: 'subject', service: server, requests: [ping], overallRate: options.probeRate, connections: Math.min(connections, options.probeRate) };
        if (options.warmupSeconds > 0) await measure(probe, connections, options.warmupSeconds);
        const alone: Measure[] = [];
        const flooded: Measure[] = [];
        const floods: Measure[] = [];
        for (let round = 0; round < options.rounds; round++) {
          const order = round % 2 === 0 ? ['alone', 'flood'] : ['flood', 'alone'];
          for (const step of order) {
            if (step === 'alone') {
              alone.push(await measure(probe, connections, options.durationSeconds));
            } else {
              const flood = measure({ name: 'login flood', role: 'comparator', service: server, requests: [loginRequest], connections: options.floodConnections }, connections, options.durationSeconds + 1);
              await sleep(500); // the flood is running before the probe starts
              flooded.push(await measure(probe, connections, options.durationSeconds));
              floods.push(await flood);
            }
          }
          log(`S4 c=${connections} round ${round + 1}/${options.rounds}: p99 alone ${alone.at(-1)!.latency.p99} ms, during flood ${flooded.at(-1)!.latency.p99} ms, logins ${floods.at(-1)!.rps.toFixed(0)}/s`);
        }
        const targets = [summarize('S1 probe, alone', 'comparator', alone), summarize('S1 probe, during flood', 'subject', flooded), summarize(`auth.login flood (${options.floodConnections} conns)`, 'comparator', floods)];
        const p99 = (rows: Measure[]) => median(rows.map((row) => row.latency.p99));
        scenarios.push({
          id: 'S4',
          title: `auth.login flood (argon2id) beside S1 at ${options.probeRate} req/s`,
          connections,
          note: `the probe uses ${Math.min(connections, options.probeRate)} connections (autocannon caps them at the rate); p99 figures are the median over rounds; CPU/req of the flood row counts the probe too`,
          targets,
          comparisons: [ratioAtMost('p99 during flood / p99 alone', p99(flooded) / Math.max(p99(alone), 1), 2)],
        });
      }
    }

    // ---- S5: a burst over a small limit, per store: the refused path vs S1
    if (only.has('S5')) {
      const stores = ['postgres', 'memory', ...(options.redisUrl ? ['redis'] : [])];
      const limited: Target[] = [];
      // Started side by side: each boot (migrations check, job runner) takes seconds.
      const services = await Promise.all(
        stores.map(async (store) => {
          const storePort = await freePort();
          const service = await startProductionServer({
            name: `limited-${store}`,
            env: serverEnv({
              APP_ORIGIN: `http://127.0.0.1:${storePort}`,
              RATE_LIMIT_STORE: store,
              RATE_LIMITS: `*=999999999/60,health.ping=${options.burstLimit}/3600`,
              ...(store === 'redis' ? { REDIS_URL: options.redisUrl! } : {}),
            }),
            logFile: path.join(workDir, `server-${store}.log`),
            port: storePort,
            nodeArgs: serverNodeArgs,
          });
          cleanups.push(() => service.stop());
          return { store, service };
        }),
      );
      // The limiter's own cost: the memory store counting every call (nothing refused) against the
      // same server with no limiter at all (scripts/bench/load/unlimited-server.ts).
      const [counted, unlimited] = await Promise.all(
        [
          { name: 'counted (memory)', entry: undefined },
          { name: 'no limiter', entry: 'scripts/bench/load/unlimited-server.ts' },
        ].map(async ({ name, entry }) => {
          const overheadPort = await freePort();
          const service = await startProductionServer({
            name,
            env: serverEnv({ APP_ORIGIN: `http://127.0.0.1:${overheadPort}`, RATE_LIMIT_STORE: 'memory' }),
            logFile: path.join(workDir, `server-${entry ? 'unlimited' : 'counted-memory'}.log`),
            port: overheadPort,
            nodeArgs: serverNodeArgs,
            ...(entry ? { entry } : {}),
          });
          cleanups.push(() => service.stop());
          return service;
        }),
      );
      const countedPing = await fetchJson(`${counted!.url}${ping.path}`);
      const unlimitedPing = await fetchJson(`${unlimited!.url}${ping.path}`);
      const untimed = (body: unknown) => JSON.stringify(body).replace(/"time":"[^"]+"/, '');
      check('S5', 'the limiter-free server answers health.ping as the counting one does', unlimitedPing.status === 200 && untimed(unlimitedPing.body) === untimed(countedPing.body));
      check('S5', 'only the counting server sets rate-limit headers', countedPing.headers.has('ratelimit') && !unlimitedPing.headers.has('ratelimit'));
      for (const { store, service } of services) {
        // The burst: 10× the limit, so every later call is over it.
        await runLoad({ url: service.url, connections: Math.min(10, options.connections[0]!), durationSeconds: 10, amount: options.burstLimit * 10, requests: [ping] });
        const refused = await fetchJson(`${service.url}${ping.path}`);
        check('S5', `the ${store} store refuses over the limit (429 rate_limited)`, refused.status === 429 && JSON.stringify(refused.body).includes('rate_limited'), `status ${refused.status}`);
        // 200 too: when the store cannot answer in time, the in-memory insurance limiter counts afresh.
        limited.push({ name: `refused (${store})`, role: 'subject', service, requests: [ping], expectedStatus: [429, 200] });
      }
      for (const connections of options.connections) {
        const targets = await rounds('S5', connections, [...limited, { name: 'S1 production', role: 'comparator', service: server, requests: [ping] }]);
        const s1 = find(targets, 'S1 production').median;
        scenarios.push({
          id: 'S5',
          title: `refused calls (health.ping=${options.burstLimit}/3600 s, after a burst of 10×) per store vs S1`,
          connections,
          targets,
          comparisons: limited.flatMap((target) => {
            const row = find(targets, target.name).median;
            const refusedShare = (row.statusCodes['429'] ?? 0) / Math.max(row.requests, 1);
            return [ratioTo(`${target.name} share refused (429)`, refusedShare), rpsRatio(targets, target.name, 'S1 production'), ratioAtMost(`${target.name} CPU µs/req / S1's`, row.cpuMicrosPerRequest / Math.max(s1.cpuMicrosPerRequest, 1e-9), 1)];
          }),
        });
      }
      for (const connections of options.connections) {
        // Two servers alike but for a few microseconds per call: loaded at the same time, each round,
        // and compared round by round (the median of the per-round ratios), over at least 5 rounds.
        const targets = await rounds(
          'S5',
          connections,
          [
            { name: 'counted (memory)', role: 'subject', service: counted!, requests: [ping] },
            { name: 'no limiter', role: 'comparator', service: unlimited!, requests: [ping] },
          ],
          { count: options.rounds > 1 ? Math.max(options.rounds, 5) : options.rounds, simultaneous: true },
        );
        const [countedRounds, unlimitedRounds] = [find(targets, 'counted (memory)').rounds, find(targets, 'no limiter').rounds];
        const perRound = (ratio: (a: Measure, b: Measure) => number) => median(countedRounds.map((round, i) => ratio(round, unlimitedRounds[i]!)));
        scenarios.push({
          id: 'S5',
          title: 'limiter overhead: health.ping counted on the memory store vs the same server without a limiter, loaded at the same time (median of per-round ratios)',
          connections,
          targets,
          comparisons: [
            ratioTo('counted (memory) / no limiter good req/s', perRound((a, b) => a.goodRps / Math.max(b.goodRps, 1e-9)), 0.95),
            ratioAtMost("counted (memory) CPU µs/req / no limiter's", perRound((a, b) => a.cpuMicrosPerRequest / Math.max(b.cpuMicrosPerRequest, 1e-9)), 1.05),
          ],
        });
      }
      for (const target of limited) await target.service.stop();
      await counted!.stop();
      await unlimited!.stop();
    }

    // ---- S6: connections held open at half of S2's maximum
    if (only.has('S6')) {
      if (listMax === 0) {
        const quick = await measure({ name: 'production', role: 'subject', service: server, requests: [list] }, options.connections[0]!, options.durationSeconds);
        listMax = quick.rps;
      }
      const rate = Math.max(1, Math.floor(listMax / 2));
      const held = options.heldConnections;
      // autocannon opens at most `overallRate` connections: the loader holds the rest open, idle.
      const active = Math.min(held, rate);
      const holdIdle = held - active;
      const targets = await rounds('S6', held, [
        { name: 'production', role: 'subject', service: server, requests: [list], overallRate: rate, connections: active, holdIdle },
        { name: 'raw floor', role: 'comparator', service: await comparator('floor'), requests: [list], overallRate: rate, connections: active, holdIdle },
      ]);
      scenarios.push({
        id: 'S6',
        title: `contacts.list at a fixed ${rate} req/s (half of S2's ${listMax.toFixed(0)}) over ${held} open connections`,
        connections: held,
        note: `${active} connections send (autocannon caps them at the rate), ${holdIdle} more are held open idle`,
        targets,
        comparisons: [
          ratioAtMost('production p99 ms', find(targets, 'production').median.latency.p99, 50, ' ms'),
          ratioTo('production p99 / raw floor p99', find(targets, 'production').median.latency.p99 / Math.max(find(targets, 'raw floor').median.latency.p99, 1)),
        ],
      });
    }

    // ---- S7: one batch of 10 contacts.get vs 10 separate calls
    if (only.has('S7')) {
      const getPath = (id: string) => `/trpc/contacts.get?input=${encodeURIComponent(JSON.stringify({ id }))}`;
      const names = contactIds.map(() => 'contacts.get').join(',');
      const batchInput = Object.fromEntries(contactIds.map((id, index) => [index, { id }]));
      const batchPath = `/trpc/${names}?batch=1&input=${encodeURIComponent(JSON.stringify(batchInput))}`;
      const batched = await fetchJson(`${server.url}${batchPath}`, { headers: reader.auth });
      const separate = await Promise.all(contactIds.map((id) => fetchJson(`${server.url}${getPath(id)}`, { headers: reader.auth })));
      const batchedData = Array.isArray(batched.body) ? batched.body.map(dataOf) : [];
      answers.S7 = { batched: batchedData.map((item) => (item as { id?: string } | undefined)?.id ?? ''), separate: separate.map((answer) => (dataOf(answer.body) as { id?: string } | undefined)?.id ?? '') };
      check('S7', 'the batch answers the same 10 contacts as 10 separate calls', batched.status === 200 && contactIds.length === 10 && JSON.stringify(batchedData) === JSON.stringify(separate.map((answer) => dataOf(answer.body))));
      for (const connections of options.connections) {
        const targets = await rounds('S7', connections, [
          { name: 'batch of 10', role: 'subject', service: server, requests: [{ method: 'GET', path: batchPath, headers: reader.auth }], itemsPerRequest: 10 },
          { name: '10 separate calls', role: 'comparator', service: server, requests: contactIds.map((id) => ({ method: 'GET' as const, path: getPath(id), headers: reader.auth })) },
        ]);
        scenarios.push({ id: 'S7', title: 'contacts.get: one batched request of 10 vs 10 separate calls (ratio in contacts/s)', connections, targets, comparisons: [rpsRatio(targets, 'batch of 10', '10 separate calls')] });
      }
    }

    // ---- S8: the same server with tracing on (every span exported to a local sink) vs off
    if (only.has('S8')) {
      const sink = await startTraceSink();
      cleanups.push(() => sink.close());
      const tracedPort = await freePort();
      const traced = await startProductionServer({
        name: 'traced',
        env: serverEnv({ APP_ORIGIN: `http://127.0.0.1:${tracedPort}`, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }),
        logFile: path.join(workDir, 'server-traced.log'),
        port: tracedPort,
        nodeArgs: serverNodeArgs,
      });
      cleanups.push(() => traced.stop());
      const answer = await fetchJson(`${traced.url}${listPath}`, { headers: reader.auth });
      check('S8', 'the traced server lists the same contacts', answer.status === 200 && JSON.stringify(answer.body) === JSON.stringify((await fetchJson(`${server.url}${listPath}`, { headers: reader.auth })).body));
      for (const connections of options.connections) {
        const targets = await rounds('S8', connections, [
          { name: 'tracing on', role: 'subject', service: traced, requests: [ping, list] },
          { name: 'tracing off', role: 'comparator', service: server, requests: [ping, list] },
        ]);
        const cpu = (name: string) => find(targets, name).median.cpuMicrosPerRequest;
        scenarios.push({
          id: 'S8',
          title: 'health.ping + contacts.list: tracing on (OTLP to a local sink, every span sampled) vs off',
          connections,
          note: 'off is the production server of every other scenario: no SDK loaded, no span made',
          targets,
          comparisons: [rpsRatio(targets, 'tracing on', 'tracing off'), ratioTo('tracing on / off CPU µs/req', cpu('tracing on') / Math.max(cpu('tracing off'), 1e-9))],
        });
      }
      // The batch processor exports every 5 s: stopping the server flushes what it still holds.
      await traced.stop();
      check('S8', 'the traced server exported spans to the sink', sink.exports() > 0, `${sink.exports()} exports`);
    }

    // ---- targets
    const rssAfterMB = server.rssBytes() / 1e6;
    const targets: Comparison[] = [];
    for (const scenario of scenarios) for (const comparison of scenario.comparisons) if (comparison.target) targets.push({ ...comparison, label: `${scenario.id} c=${scenario.connections}: ${comparison.label}` });
    const top = Math.max(...options.connections, options.heldConnections);
    const atTop = scenarios.filter((scenario) => scenario.connections === top).flatMap((scenario) => scenario.targets.filter((target) => target.bastion));
    if (atTop.length) {
      const bad = atTop.reduce((sum, target) => sum + target.rounds.reduce((s, round) => s + round.errors + round.unexpectedStatus, 0), 0);
      targets.push({ label: `errors + unexpected non-2xx of Bastion's servers at ${top} connections (all rounds)`, value: bad, target: '= 0', met: bad === 0 });
    }
    targets.push(ratioAtMost('production server RSS after the run, MB', rssAfterMB, 250, ' MB'));

    await server.stop();
    const logText = readFileSync(logFile, 'utf8');
    const lines = logText.split('\n').filter(Boolean);
    const report: LoadReport = {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGB: Math.round(totalmem() / 1e9),
        os: `${osType()} ${release()}`,
        node: process.version,
        database: options.databaseUrl ? 'DATABASE_URL' : 'embedded',
      },
      options: { ...Object.fromEntries(Object.entries(options).filter(([name]) => !['progress', 'databaseUrl', 'redisUrl'].includes(name))), redis: Boolean(options.redisUrl) } as LoadReport['options'],
      scenarios,
      checks,
      answers,
      targets,
      server: {
        rssAfterMB,
        logFile,
        logBytes: statSync(logFile).size,
        logLines: lines.length,
        logErrorLines: lines.filter((line) => /"level":("error"|"fatal"|50|60)[,}]/.test(line)).length,
        logMessages: logMessages(lines),
      },
    };
    return report;
  } finally {
    await cleanup();
  }
}
