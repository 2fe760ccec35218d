import { z } from 'zod';

/**
 * The input of a procedure that takes none: absent (the tRPC clients) or `{}` (plain HTTP callers,
 * which cannot send "nothing" as JSON). Anything else is refused.
 */
export const noInput = z.strictObject({}).optional();
