import { describe, expect, it } from 'vitest';
import { clientKey } from './client-key.ts';

describe('clientKey', () => {
  it('keys IPv4 by address, and IPv4-mapped IPv6 as the same IPv4 address', () => {
    expect(clientKey('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7', 'network')).toBe('ip:203.0.113.7');
    expect(clientKey('203.0.113.8')).not.toBe(clientKey('203.0.113.7'));
  });

  it('keys every address of one IPv6 /64 alike for per-address policies, and of one /56 for daily caps', () => {
    const a = clientKey('2001:db8:1:1::1');
    expect(a).toBe('ip6:2001:db8:1:1:0:0:0:0/64');
    expect(clientKey('2001:db8:1:1:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientKey('2001:0db8:0001:0001:abcd::')).toBe(a);
    expect(clientKey('2001:db8:1:2::1')).not.toBe(a);
    expect(clientKey('2001:db8:1:1::1', 'network')).toBe('ip6:2001:db8:1:0:0:0:0:0/56');
    expect(clientKey('2001:db8:1:ff::9', 'network')).toBe('ip6:2001:db8:1:0:0:0:0:0/56');
    expect(clientKey('2001:db8:1:100::9', 'network')).not.toBe(clientKey('2001:db8:1:ff::9', 'network'));
  });

  it('answers alike when asked again, also after more addresses than it remembers', () => {
    const first = clientKey('2001:db8:9:9::1');
    for (let i = 0; i < 10_050; i++) clientKey(`198.51.${i >> 8}.${i & 255}`);
    expect(clientKey('2001:db8:9:9::1')).toBe(first);
    expect(clientKey('2001:db8:9:9::1', 'network')).toBe('ip6:2001:db8:9:0:0:0:0:0/56');
    expect(clientKey('198.51.0.1')).toBe('ip:198.51.0.1');
    expect(clientKey('not-an-ip')).toBe('ip:unknown');
  });

  it('puts missing or unparsable addresses in one bucket', () => {
    expect(clientKey(null)).toBe('ip:unknown');
    expect(clientKey('not-an-ip')).toBe('ip:unknown');
  });
});
