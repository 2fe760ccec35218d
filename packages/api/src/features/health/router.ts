import { z } from 'zod';
import { noInput } from '../../no-input.ts';
import { publicProcedure, router } from '../../trpc.ts';

export const healthRouter = router({
  ping: publicProcedure
    .meta({ rateLimit: 'health.ping', openapi: { method: 'GET', path: '/health', tags: ['health'], summary: 'Liveness of the API', protect: false } })
    .input(noInput)
    .output(z.object({ status: z.literal('ok'), time: z.iso.datetime() }))
    .query(() => ({ status: 'ok' as const, time: new Date().toISOString() })),
});
