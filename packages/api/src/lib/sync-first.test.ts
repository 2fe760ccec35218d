import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { isSyncFirst, syncFirst } from './sync-first.ts';

describe('syncFirst', () => {
  it('parses synchronously, with the same result and the same ZodError', async () => {
    const schema = syncFirst(z.object({ name: z.string().min(1), tags: z.array(z.string()).default([]) }));
    const parse = vi.spyOn(schema, 'parse');
    await expect(schema.parseAsync({ name: 'Ada', extra: 1 })).resolves.toEqual({ name: 'Ada', tags: [] });
    expect(parse).toHaveBeenCalledTimes(1);
    const refused = await schema.parseAsync({ name: '' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(z.ZodError);
    expect((refused as z.ZodError).issues[0]?.path).toEqual(['name']);
  });

  it('falls back to the asynchronous parse for a schema with asynchronous parts', async () => {
    const schema = syncFirst(z.object({ name: z.string().refine(async (name) => name !== 'taken', 'taken') }));
    await expect(schema.parseAsync({ name: 'free' })).resolves.toEqual({ name: 'free' });
    const refused = await schema.parseAsync({ name: 'taken' }).catch((error: unknown) => error);
    expect((refused as z.ZodError).issues[0]?.message).toBe('taken');
  });

  it('wraps a schema once and leaves other parsers alone', () => {
    const schema = z.string();
    expect(isSyncFirst(schema)).toBe(false);
    syncFirst(schema);
    const wrapped = schema.parseAsync;
    syncFirst(schema);
    expect(schema.parseAsync).toBe(wrapped);
    expect(isSyncFirst(schema)).toBe(true);
    const custom = (value: unknown) => value;
    expect(syncFirst(custom)).toBe(custom);
  });
});
