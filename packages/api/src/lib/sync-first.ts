import { z } from 'zod';

const syncFirstSchemas = new WeakSet<z.ZodType>();

/**
 * tRPC validates with a schema's `parseAsync` when it has one, and zod 4 runs its compiled object
 * parser only for synchronous parses: checking a page of 20 contacts took ~19 µs asynchronously and
 * ~6 µs synchronously, with a third of the garbage. This gives a zod schema a `parseAsync` that
 * parses synchronously first; a schema with asynchronous parts (zod throws `$ZodAsyncError` for
 * those) still gets the asynchronous parse. Same results, same ZodError. Other parsers pass through.
 */
export function syncFirst<P>(parser: P): P {
  if (!(parser instanceof z.ZodType) || syncFirstSchemas.has(parser)) return parser;
  const schema: z.ZodType = parser;
  const parseAsync = schema.parseAsync.bind(schema);
  schema.parseAsync = (data, params) => {
    try {
      return Promise.resolve(schema.parse(data, params));
    } catch (error) {
      return error instanceof z.core.$ZodAsyncError ? parseAsync(data, params) : Promise.reject(error as Error);
    }
  };
  syncFirstSchemas.add(schema);
  return parser;
}

export const isSyncFirst = (parser: unknown): boolean => parser instanceof z.ZodType && syncFirstSchemas.has(parser);
