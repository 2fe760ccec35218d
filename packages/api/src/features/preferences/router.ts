import { noInput } from '../../no-input.ts';
import { authedProcedure, router } from '../../trpc.ts';
import { preferencesOutput, preferencesUpdateInput } from './preferences.schema.ts';

export const preferencesRouter = router({
  get: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['preferences:read'], openapi: { method: 'GET', path: '/preferences', tags: ['preferences'], summary: 'Get your preferences' } })
    .input(noInput)
    .output(preferencesOutput)
    .query(({ ctx }) => ctx.preferences.get(ctx.db, ctx.auth.userId)),

  update: authedProcedure
    .meta({ rateLimit: 'user.default', scopes: ['preferences:write'], openapi: { method: 'PATCH', path: '/preferences', tags: ['preferences'], summary: 'Change your preferences (only the fields sent)' } })
    .input(preferencesUpdateInput)
    .output(preferencesOutput)
    .mutation(({ ctx, input }) => ctx.preferences.update(ctx, ctx.auth.userId, input)),
});
