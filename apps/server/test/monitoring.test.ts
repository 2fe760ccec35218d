// The alert rules watch what the processes export: every metric family they name appears on the
// API's /metrics (a worker-running instance) or on a separate worker's /metrics.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricFamilies } from '../../../scripts/ci/alert-rules.ts';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { freePort } from '../../../test/helpers/process.ts';
import { startTestServer, TEST_ENV, type TestServer } from '../../../test/helpers/server.ts';

const root = new URL('../../../', import.meta.url).pathname;
const alertRules = readFileSync(path.join(root, 'ops/prometheus/alerts.yml'), 'utf8');
const dashboard = JSON.parse(readFileSync(path.join(root, 'ops/grafana/bastion.json'), 'utf8')) as {
  uid: string;
  panels: { title: string; targets: { expr: string }[] }[];
};
const METRICS_TOKEN = 'monitoring-test-metrics-token-0123456789';
const families = (exposition: string) => new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));

let server: TestServer;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  server = await startTestServer({ METRICS_TOKEN }, databaseUrl);
});
afterAll(() => server.close());

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  return response.text();
}

describe('monitoring', () => {
  it('every metric family an alert rule names is exported by the API', async () => {
    const exported = families(await scrape(server.url));
    const missing = [...metricFamilies(alertRules)].filter((family) => !exported.has(family));
    expect(missing).toEqual([]);
    expect(metricFamilies(alertRules).size).toBeGreaterThan(8);
  });

  it('the Grafana dashboard parses and charts only metrics the API exports', async () => {
    expect(dashboard.uid).toBe('bastion');
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    const charted = metricFamilies(dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n'));
    const exported = families(await scrape(server.url));
    expect([...charted].filter((family) => !exported.has(family))).toEqual([]);
    // Every alert's metric is on the dashboard too: an operator paged by it can look at it.
    expect([...metricFamilies(alertRules)].filter((family) => !charted.has(family))).toEqual([]);
  });

  it('bastion_ready is the last readiness answer', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await scrape(server.url)).toMatch(/^bastion_ready 1$/m);
  });

  it('a separate worker serves its job and process metrics on WORKER_METRICS_PORT, behind METRICS_TOKEN', async () => {
    const port = await freePort();
    const worker = spawn(process.execPath, ['--experimental-strip-types', path.join(root, 'apps/server/src/worker.ts')], {
      env: { PATH: process.env.PATH, ...TEST_ENV, LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, WORKER_METRICS_PORT: String(port), METRICS_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('worker started')) {
        if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const exported = families(await scrape(url));
      expect(exported.has('bastion_jobs_total')).toBe(true);
      expect(exported.has('process_start_time_seconds')).toBe(true);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
    expect(output).not.toContain(METRICS_TOKEN);
  });
});
