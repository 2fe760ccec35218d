import { expect, it } from 'vitest';
import { z } from 'zod';
import { asyncIterableOf } from './async-iterable-output.ts';

async function* items(...values: unknown[]) {
  yield* values;
}

it('checks every item of a subscription as it is produced, and refuses what is not iterable', async () => {
  const schema = asyncIterableOf(z.object({ n: z.number() }));
  const seen: unknown[] = [];
  for await (const item of await schema.parseAsync(items({ n: 1 }, { n: 2 }))) seen.push(item);
  expect(seen).toEqual([{ n: 1 }, { n: 2 }]);

  const bad = await schema.parseAsync(items({ n: 1 }, { n: 'two' }));
  const iterator = bad[Symbol.asyncIterator]();
  expect(await iterator.next()).toEqual({ done: false, value: { n: 1 } });
  await expect(iterator.next()).rejects.toBeInstanceOf(z.ZodError);
  await expect(schema.parseAsync({ n: 1 })).rejects.toBeInstanceOf(z.ZodError);
});
