import { describe, expect, it } from 'vitest';
import { CLUSTER_TRUST_PROXY, renderHaproxyConfig, shutdownDelayFor } from './cluster.ts';

const rendered = renderHaproxyConfig({
  bind: '127.0.0.1:3000',
  statsBind: '127.0.0.1:3001',
  checkIntervalMs: 1000,
  servers: [
    { name: 'api1', address: '127.0.0.1:4001' },
    { name: 'api2', address: '127.0.0.1:4002' },
  ],
});

describe('the HAProxy template (ops/haproxy)', () => {
  it('fills every placeholder', () => {
    expect(rendered).not.toMatch(/\{\{/);
    expect(rendered).toContain('bind 127.0.0.1:3000');
    expect(rendered).toContain('    server api1 127.0.0.1:4001 check\n    server api2 127.0.0.1:4002 check');
    expect(rendered).toContain('inter 1000 fall 2');
  });

  it('checks readiness, and retries mutations only when they never reached an instance', () => {
    expect(rendered).toMatch(/http-check send meth GET uri \/readyz/);
    expect(rendered).toMatch(/http-request disable-l7-retry if !METH_GET !METH_HEAD/);
  });

  it('is the one hop TRUST_PROXY trusts: it replaces the client’s X-Forwarded-For', () => {
    expect(CLUSTER_TRUST_PROXY).toBe('1');
    expect(rendered.indexOf('http-request del-header x-forwarded-for')).toBeLessThan(rendered.indexOf('option forwardfor'));
  });

  it('lets a draining instance serve until two failed checks took it out', () => {
    expect(shutdownDelayFor(1000)).toBeGreaterThanOrEqual(2 * 1000);
  });
});
