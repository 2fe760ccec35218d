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

  it('lets a load that raced an invalidation neither store its value nor displace the newer load', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    const releases: Record<string, () => void> = {};
    const slowLoad = (value: string) => () => new Promise<string>((resolve) => (releases[value] = () => resolve(value)));
    const old = cache.getOrLoad('k', slowLoad('old'));
    cache.invalidate('k');
    const fresh = cache.getOrLoad('k', slowLoad('new'));
    const joined = cache.getOrLoad('k', async () => 'never called');
    releases.old!();
    expect(await old).toBe('old');
    releases.new!();
    expect([await fresh, await joined]).toEqual(['new', 'new']);
    expect(await cache.getOrLoad('k', async () => 'reloaded')).toBe('new');
  });

  it('discards loads in flight on clear', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    await cache.getOrLoad('a', async () => 'a1');
    let release!: () => void;
    const slow = cache.getOrLoad('b', () => new Promise<string>((resolve) => (release = () => resolve('b1'))));
    cache.clear();
    release();
    expect(await slow).toBe('b1');
    expect(cache.size).toBe(0);
    expect(await cache.getOrLoad('a', async () => 'a2')).toBe('a2');
    expect(await cache.getOrLoad('b', async () => 'b2')).toBe('b2');
  });

  it('does not store a failed load, so the next read loads again', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    const failing = Promise.all([0, 1].map(() => cache.getOrLoad('k', async () => Promise.reject(new Error('db down')))));
    await expect(failing).rejects.toThrow('db down');
    expect(await cache.getOrLoad('k', async () => 'v')).toBe('v');
  });

  it('stores nothing when ttlMs is 0 but still shares concurrent loads', async () => {
    const cache = new LruCache<string>({ ttlMs: 0, maxEntries: 10 });
    const source = counter();
    await Promise.all([cache.getOrLoad('k', source.load('v')), cache.getOrLoad('k', source.load('v'))]);
    expect(source.calls()).toBe(1);
    await cache.getOrLoad('k', source.load('v'));
    expect(source.calls()).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries', async () => {
    const cache = new LruCache<string>({ ttlMs: 60_000, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.getOrLoad(key, async () => key);
    expect(cache.size).toBe(3);
  });
});
