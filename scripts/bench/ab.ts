// pnpm bench:ab: one setting measured as A against B — two production servers loaded at the same
// time in every round, per-round ratios B/A and their median (scripts/bench/load/ab.ts).
//   pnpm bench:ab --b-env DB_POOL_PIPELINE=1
//   pnpm bench:ab --a-env HEAP_GROWING_PERCENT=0 --call ping --connections 100 --rounds 5
//   pnpm bench:ab --b-node-args "--max-semi-space-size=16" --rate 300     CPU per call at a fixed rate
import { parseArgs } from 'node:util';
import { runAB, type Side } from './load/ab.ts';

const { values } = parseArgs({
  options: {
    'a-env': { type: 'string' },
    'b-env': { type: 'string' },
    'a-node-args': { type: 'string' },
    'b-node-args': { type: 'string' },
    call: { type: 'string', default: 'list' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '5' },
    rate: { type: 'string' },
    json: { type: 'boolean' },
  },
});

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const integer = (name: string, value: string | undefined): number => {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : fail(`--${name} must be a positive integer`);
};
const side = (env: string | undefined, nodeArgs: string | undefined): Side => ({
  env: Object.fromEntries(
    (env ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        return at > 0 ? [pair.slice(0, at), pair.slice(at + 1)] : fail(`not NAME=value: ${pair}`);
      }),
  ),
  nodeArgs: nodeArgs?.split(' ').filter(Boolean) ?? [],
});
if (values.call !== 'list' && values.call !== 'ping') fail('--call is list or ping');

const report = await runAB({
  a: side(values['a-env'], values['a-node-args']),
  b: side(values['b-env'], values['b-node-args']),
  call: values.call as 'list' | 'ping',
  connections: integer('connections', values.connections),
  durationSeconds: integer('duration', values.duration),
  rounds: integer('rounds', values.rounds),
  ...(values.rate ? { rate: integer('rate', values.rate) } : {}),
  databaseUrl: process.env.DATABASE_URL,
  progress: (line) => console.error(line),
});
if (values.json) console.log(JSON.stringify(report, null, 2));
else console.error(`median B/A: ${report.median.rps.toFixed(3)}× req/s, ${report.median.cpu.toFixed(3)}× CPU per call (${report.rounds.length} rounds)`);
