// The load generator, run in its own process so it does not share an event loop (or a core's
// time slice accounting) with the orchestrator: reads a LoadSpec as JSON from argv[2], runs
// autocannon (no pipelining), prints a LoadResult as JSON on stdout.
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.ts';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(spec.url)) {
  console.error(`refusing to load ${spec.url}: only loopback targets`);
  process.exit(2);
}

const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  pipelining: 1,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSeconds }),
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  timeout: spec.timeoutSeconds ?? 10,
  requests: spec.requests.map((request) => ({
    method: request.method,
    path: request.path,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  })),
});

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
};
console.log(JSON.stringify(output));
