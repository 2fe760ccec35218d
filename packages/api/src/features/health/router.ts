import { z } from 'zod';
import { publicProcedure, router } from '../../trpc.ts';

export const healthRouter = router({
  ping: publicProcedure
    .input(z.void())
    .output(z.object({ status: z.literal('ok'), time: z.iso.datetime() }))
    .query(() => ({ status: 'ok' as const, time: new Date().toISOString() })),
});
