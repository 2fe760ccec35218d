import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.ts';

function counter() {
  let calls = 0;
  return { load: (value: string) => async () => (calls++, value), calls: () => calls };
}

describe('LruCache', () => {
  it('loads once and serves later reads from memory', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    const source = counter();
    for (let i = 0; i < 5; i++) expect(await cache.getOrLoad('k', source.load('v'))).toBe('v');
    expect(source.calls()).toBe(1);
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    const source = counter();
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad('k', source.load('v'))));
    expect(new Set(values)).toEqual(new Set(['v']));
    expect(source.calls()).toBe(1);
  });

  it('evicts the least recently used entry first', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 2 });
    const source = counter();
    await cache.getOrLoad('a', source.load('a'));
    await cache.getOrLoad('b', source.load('b'));
    await cache.getOrLoad('a', source.load('a')); // a is now the most recent
    await cache.getOrLoad('c', source.load('c')); // evicts b
    expect(source.calls()).toBe(3);
    await cache.getOrLoad('a', source.load('a'));
    expect(source.calls()).toBe(3);
    await cache.getOrLoad('b', source.load('b'));
    expect(source.calls()).toBe(4);
  });

  it('expires entries after the TTL', async () => {
    const cache = new LruCache<string>({ ttlMs: 1, maxEntries: 10 });
    const source = counter();
    await cache.getOrLoad('k', source.load('v'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await cache.getOrLoad('k', source.load('v'));
    expect(source.calls()).toBe(2);
  });

  it('never stores a value loaded before an invalidation', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    let release!: () => void;
    const slow = cache.getOrLoad('k', () => new Promise<string>((resolve) => (release = () => resolve('old'))));
    cache.invalidate('k'); // a write happened while the read was in flight
    release();
    expect(await slow).toBe('old');
    expect(await cache.getOrLoad('k', async () => 'new')).toBe('new');
  });

  it('counts hits and misses', async () => {
    const lookups: boolean[] = [];
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10, onLookup: (hit) => lookups.push(hit) });
    await cache.getOrLoad('k', async () => 'v');
    await cache.getOrLoad('k', async () => 'v');
    expect(lookups).toEqual([false, true]);
  });
});
