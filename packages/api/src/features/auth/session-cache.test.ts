import { describe, expect, it } from 'vitest';
import { SessionCache } from './session-cache.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SessionCache', () => {
  it('answers undefined for an unknown session, the session when active, null when known inactive', () => {
    const cache = new SessionCache({ ttlMs: 60_000 });
    const admin = { role: 'admin' as const };
    expect(cache.get('s1')).toBeUndefined();
    cache.set('s1', admin);
    cache.set('s2', null);
    expect(cache.get('s1')).toBe(admin);
    expect(cache.get('s2')).toBeNull();
    cache.set('s1', null); // revoked since
    expect(cache.get('s1')).toBeNull();
  });

  it('forgets an evicted session and, on clear, every session', () => {
    const cache = new SessionCache({ ttlMs: 60_000 });
    for (const id of ['a', 'b', 'c']) cache.set(id, { role: 'user' });
    cache.evict('a');
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, { role: 'user' }]);
    cache.clear();
    expect([cache.get('b'), cache.get('c')]).toEqual([undefined, undefined]);
  });

  it('bounds staleness by the TTL: an entry is not served after ttlMs, and reads do not extend it', async () => {
    const cache = new SessionCache({ ttlMs: 200 });
    cache.set('s', { role: 'admin' });
    cache.set('gone', null);
    await wait(100);
    expect(cache.get('s')).toEqual({ role: 'admin' }); // a read that would restart the TTL if reads extended it
    await wait(150);
    expect(cache.get('s')).toBeUndefined();
    expect(cache.get('gone')).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const cache = new SessionCache({ ttlMs: 60_000, maxEntries: 2 });
    cache.set('a', { role: 'user' });
    cache.set('b', { role: 'user' });
    cache.get('a');
    cache.set('c', { role: 'user' });
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([{ role: 'user' }, undefined, { role: 'user' }]);
  });
});
