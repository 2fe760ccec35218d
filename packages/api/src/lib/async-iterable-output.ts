import { z } from 'zod';

/** A subscription's output: an async iterable whose every item is checked against `item`. */
export function asyncIterableOf<T extends z.ZodType>(item: T) {
  return z
    .custom<AsyncIterable<z.input<T>>>((value) => typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function', 'expected an async iterable')
    .transform(async function* (iterable): AsyncGenerator<z.output<T>> {
      for await (const value of iterable) yield item.parse(value);
    });
}
