// A/B of one setting: two production servers on one throwaway database, loaded at the same time in
// every round (the method of S5's overhead part), so a slow moment of a shared machine falls on
// both alike. For settings that move a few percent, where interleaved rounds are too noisy.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { benchDatabase } from '../database.ts';
import { runLoad, type LoadRequest } from './load.ts';
import { benchServerEnv, freePort, startProductionServer, type Service } from './processes.ts';
import { median } from './stats.ts';
import { startMailSink } from './run.ts';

/** One side: more environment for the server, more node flags. */
export interface Side {
  env?: Record<string, string>;
  nodeArgs?: string[];
}

export interface ABOptions {
  a: Side;
  b: Side;
  /** `list`: an authenticated `contacts.list` (20 rows, S2); `ping`: `health.ping` (S1). */
  call: 'list' | 'ping';
  connections: number;
  durationSeconds: number;
  rounds: number;
  /** Requests per second to each server (open loop); unset: as fast as answers come. */
  rate?: number;
  databaseUrl?: string;
  progress?: (line: string) => void;
}

export interface ABRound {
  a: SideResult;
  b: SideResult;
  /** b / a */
  rps: number;
  cpu: number;
}

interface SideResult {
  rps: number;
  cpuMicrosPerRequest: number;
  rssMB: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface ABReport {
  options: Omit<ABOptions, 'progress' | 'databaseUrl'>;
  rounds: ABRound[];
  /** Medians of the per-round ratios, b / a. */
  median: { rps: number; cpu: number };
}

export async function runAB(options: ABOptions): Promise<ABReport> {
  const log = options.progress ?? (() => {});
  const workDir = mkdtempSync(path.join(tmpdir(), 'bastion-ab-'));
  const database = await benchDatabase(options.databaseUrl);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const mail = await startMailSink();
  const services: Service[] = [];
  try {
    const jwtSecret = randomBytes(32).toString('base64');
    const start = async (name: string, side: Side) => {
      const port = await freePort();
      const service = await startProductionServer({
        name,
        port,
        logFile: path.join(workDir, `${name}.log`),
        nodeArgs: side.nodeArgs ?? [],
        env: { ...benchServerEnv({ port, databaseUrl: database.url, jwtSecret, mailUrl: mail.url, poolMax: 10 }), ...side.env },
      });
      services.push(service);
      return service;
    };
    log('starting servers A and B');
    const [a, b] = [await start('A', options.a), await start('B', options.b)];
    const request = await callToLoad(options.call, a, sql);

    const measure = async (service: Service): Promise<SideResult> => {
      const before = service.cpuMicros();
      const result = await runLoad({
        url: service.url,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        requests: [request],
        ...(options.rate ? { overallRate: options.rate } : {}),
      });
      return {
        rps: result.rps,
        cpuMicrosPerRequest: result.requests ? (service.cpuMicros() - before) / result.requests : 0,
        rssMB: service.rssBytes() / 1e6,
        p99: result.latency.p99,
        errors: result.errors,
        non2xx: result.non2xx,
      };
    };
    await Promise.all([measure(a), measure(b)]); // warm-up
    const rounds: ABRound[] = [];
    for (let i = 0; i < options.rounds; i++) {
      const [ra, rb] = await Promise.all([measure(a), measure(b)]);
      const round = { a: ra, b: rb, rps: ra.rps ? rb.rps / ra.rps : 0, cpu: ra.cpuMicrosPerRequest ? rb.cpuMicrosPerRequest / ra.cpuMicrosPerRequest : 0 };
      rounds.push(round);
      log(
        `round ${i + 1}/${options.rounds}: A ${ra.rps.toFixed(0)} req/s ${ra.cpuMicrosPerRequest.toFixed(0)} µs RSS ${ra.rssMB.toFixed(0)} MB | ` +
          `B ${rb.rps.toFixed(0)} req/s ${rb.cpuMicrosPerRequest.toFixed(0)} µs RSS ${rb.rssMB.toFixed(0)} MB | B/A ${round.rps.toFixed(3)}× req/s, ${round.cpu.toFixed(3)}× CPU`,
      );
    }
    const { progress: _progress, databaseUrl: _databaseUrl, ...shown } = options;
    return { options: shown, rounds, median: { rps: median(rounds.map((round) => round.rps)), cpu: median(rounds.map((round) => round.cpu)) } };
  } finally {
    for (const service of services) await service.stop();
    await sql.end();
    await mail.close();
    await database.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The request both servers get; for `list`, a reader with 30 contacts signed up through A. */
async function callToLoad(call: ABOptions['call'], server: Service, sql: postgres.Sql): Promise<LoadRequest> {
  if (call === 'ping') return { method: 'GET', path: '/trpc/health.ping' };
  const post = async (procedure: string, body: unknown) => {
    const response = await fetch(`${server.url}/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${procedure}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { result: { data: unknown } }).result.data;
  };
  const email = `ab-${randomBytes(4).toString('hex')}@bench.example`;
  const password = `ab-bench-${randomBytes(12).toString('hex')}`;
  await post('auth.register', { email, password, name: 'reader' });
  const { accessToken, user } = (await post('auth.login', { email, password, tokenDelivery: 'body' })) as { accessToken: string; user: { id: string } };
  await sql`insert into contacts (owner_id, name, email, company, tags, notes, created_at, updated_at)
    select ${user.id}, 'Contact ' || i, 'contact' || i || '@bench.example', 'Acme', array['bench', 'load'], 'seeded',
           now() - i * interval '1 minute', now() - i * interval '1 minute'
    from generate_series(1, 30) as i`;
  return { method: 'GET', path: `/trpc/contacts.list?input=${encodeURIComponent('{}')}`, headers: { authorization: `Bearer ${accessToken}` } };
}
