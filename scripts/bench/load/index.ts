// Load benchmark: the production server under autocannon against comparators started in the same
// run (bare node:http, Express, tRPC; a raw SQL floor), interleaved rounds, median round reported.
//   pnpm bench:load                                  everything, 100 and 1000 connections, 3 rounds
//   pnpm bench:load --only S1,S2 --duration 3 --rounds 3 --connections 100
//   pnpm bench:load --json > report.json             the report as JSON (progress on stderr)
//   pnpm bench:load --out report.json                Markdown on stdout, JSON into the file
// Uses DATABASE_URL's server (a throwaway bench_* database) or an embedded PostgreSQL; REDIS_URL
// adds the Redis store to S5. Targets are printed beside the ratios, never asserted.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { markdown } from './report.ts';
import { DEFAULT_OPTIONS, runLoadBenchmark, SCENARIOS, type ScenarioId } from './run.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    pool: { type: 'string' },
    'flood-connections': { type: 'string' },
    'probe-rate': { type: 'string' },
    'burst-limit': { type: 'string' },
    'held-connections': { type: 'string' },
    'keep-logs': { type: 'boolean' },
    'cpu-prof': { type: 'string' },
    'server-node-args': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  console.log(`pnpm bench:load [--only S1,S2] [--duration 5] [--warmup 2] [--rounds 3] [--connections 100,1000]
  [--pool 10] [--flood-connections 50] [--probe-rate 200] [--burst-limit 100] [--held-connections 1000] [--keep-logs]
  [--cpu-prof DIR]    write V8 CPU profiles of the server and the comparators into DIR
  [--server-node-args "--flag …"]  extra node flags for Bastion's servers (not the comparators)
  [--json]            print the report as JSON instead of Markdown
  [--out report.json] also write the JSON report to a file`);
  process.exit(0);
}

function positive(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    console.error(`--${name} must be an integer from 1 to ${max}`);
    process.exit(2);
  }
  return number;
}

const only = (values.only?.split(',').map((id) => id.trim().toUpperCase()) ?? [...SCENARIOS]) as ScenarioId[];
const unknown = only.filter((id) => !SCENARIOS.includes(id));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

const emptyToUndefined = (value: string | undefined) => (value ? value : undefined);
const report = await runLoadBenchmark({
  databaseUrl: emptyToUndefined(process.env.DATABASE_URL),
  redisUrl: emptyToUndefined(process.env.REDIS_URL),
  durationSeconds: positive('duration', values.duration, DEFAULT_OPTIONS.durationSeconds, 600),
  warmupSeconds: values.warmup === '0' ? 0 : positive('warmup', values.warmup, DEFAULT_OPTIONS.warmupSeconds, 600),
  rounds: positive('rounds', values.rounds, DEFAULT_OPTIONS.rounds, 50),
  connections: values.connections ? values.connections.split(',').map((value) => positive('connections', value, 0, 10_000)) : DEFAULT_OPTIONS.connections,
  only,
  poolMax: positive('pool', values.pool, DEFAULT_OPTIONS.poolMax, 500),
  floodConnections: positive('flood-connections', values['flood-connections'], DEFAULT_OPTIONS.floodConnections, 100),
  probeRate: positive('probe-rate', values['probe-rate'], DEFAULT_OPTIONS.probeRate, 1_000_000),
  burstLimit: positive('burst-limit', values['burst-limit'], DEFAULT_OPTIONS.burstLimit, 1_000_000),
  heldConnections: positive('held-connections', values['held-connections'], DEFAULT_OPTIONS.heldConnections, 10_000),
  keepLogs: values['keep-logs'] ?? false,
  ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}),
  ...(values['server-node-args'] ? { serverNodeArgs: values['server-node-args'].split(/\s+/).filter(Boolean) } : {}),
  progress: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});

const command = `pnpm bench:load ${process.argv.slice(2).join(' ')}`.trim();
if (values.out) writeFileSync(values.out, `${JSON.stringify({ command, ...report }, null, 2)}\n`);
if (values.json) console.log(JSON.stringify({ command, ...report }, null, 2));
else console.log(markdown(report, command));
