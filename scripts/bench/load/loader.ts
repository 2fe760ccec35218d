// The load generator, run in its own process so it does not share an event loop (or a core's
// time slice accounting) with the orchestrator: reads a LoadSpec as JSON from argv[2], runs
// autocannon (no pipelining), prints a LoadResult as JSON on stdout.
import { connect, type Socket } from 'node:net';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.ts';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(spec.url)) {
  console.error(`refusing to load ${spec.url}: only loopback targets`);
  process.exit(2);
}

/**
 * Keep-alive connections that make one request (GET /healthz) and then sit idle for the run:
 * autocannon opens no more connections than `overallRate`, so the rest of a held-open load comes
 * from here. Resolves with the sockets that got their answer.
 */
async function holdIdle(count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(spec.url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const open = (): Promise<Socket | null> =>
    new Promise((resolve) => {
      const socket = connect({ host, port: Number(port) });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, 15_000);
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      socket.once('connect', () => socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`));
      socket.once('data', () => {
        clearTimeout(timer);
        socket.on('data', () => {});
        resolve(socket);
      });
    });
  const sockets: Socket[] = [];
  // In slices of 100, so the server's accept queue is not the thing measured.
  for (let opened = 0; opened < count; opened += 100) {
    const slice = await Promise.all(Array.from({ length: Math.min(100, count - opened) }, open));
    for (const socket of slice) if (socket) sockets.push(socket);
  }
  return sockets;
}

const idle = spec.holdIdle ? await holdIdle(spec.holdIdle) : [];
/**
 * autocannon's `overallRate` gives each connection a budget per second that every connection spends
 * at the top of the same second: at 311 req/s over 311 connections, all 311 requests arrive within
 * a few milliseconds, once a second, and p99 measures how long the server takes to drain that burst.
 * A fixed arrival rate is paced instead: the connections are split into PACING_PHASES instances
 * started 1/PACING_PHASES s apart, so arrivals come in small groups spread over each second; their
 * latency histograms are merged exactly (autocannon's aggregateResult).
 */
const PACING_PHASES = 50;
// Exported by autocannon 9 (lib/aggregateResult.js), absent from its type definitions.
const { aggregateResult } = autocannon as unknown as { aggregateResult: (results: autocannon.Result[], options: { url: string; connections: number }) => autocannon.Result };
const base = {
  url: spec.url,
  pipelining: 1,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSeconds }),
  timeout: spec.timeoutSeconds ?? 10,
  requests: spec.requests.map((request) => ({
    method: request.method,
    path: request.path,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  })),
};
const phases = spec.overallRate && !spec.amount ? Math.min(PACING_PHASES, spec.connections, spec.overallRate) : 1;
const shareOf = (total: number, phase: number) => Math.floor(total / phases) + (phase < total % phases ? 1 : 0);
const result =
  phases === 1
    ? await autocannon({ ...base, connections: spec.connections, ...(spec.overallRate ? { overallRate: spec.overallRate } : {}) })
    : aggregateResult(
        await Promise.all(
          Array.from({ length: phases }, async (_, phase) => {
            await new Promise((resolve) => setTimeout(resolve, (phase * 1000) / phases));
            return autocannon({ ...base, connections: shareOf(spec.connections, phase), overallRate: shareOf(spec.overallRate!, phase), skipAggregateResult: true });
          }),
        ),
        { url: spec.url, connections: spec.connections },
      );

const heldOpen = idle.filter((socket) => !socket.destroyed).length;
for (const socket of idle) socket.destroy();

const statusCodes: Record<string, number> = {};
for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stats as { count: number }).count;
const output: LoadResult = {
  requests: result.requests.total,
  sent: result.requests.sent,
  seconds: result.duration,
  rps: result.requests.total / result.duration,
  latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statusCodes,
  ...(spec.holdIdle ? { heldIdle: { asked: spec.holdIdle, opened: idle.length, stillOpen: heldOpen } } : {}),
};
console.log(JSON.stringify(output));
