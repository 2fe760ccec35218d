import { noInput } from '../../no-input.ts';
import { authedProcedure, router } from '../../trpc.ts';
import { createApiKeyInput, createApiKeyOutput, listApiKeysOutput, revokeApiKeyInput, revokeApiKeyOutput } from './api-keys.schema.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './service.ts';

/** A signed-in user's API keys. No `meta.scopes`: a key can never create, list or revoke keys. */
export const apiKeysRouter = router({
  create: authedProcedure
    .meta({ rateLimit: 'apikeys.manage' })
    .input(createApiKeyInput)
    .output(createApiKeyOutput)
    .mutation(({ ctx, input }) => createApiKey(ctx, input)),

  list: authedProcedure
    .meta({ rateLimit: 'apikeys.manage' })
    .input(noInput)
    .output(listApiKeysOutput)
    .query(({ ctx }) => listApiKeys(ctx)),

  revoke: authedProcedure
    .meta({ rateLimit: 'apikeys.manage' })
    .input(revokeApiKeyInput)
    .output(revokeApiKeyOutput)
    .mutation(async ({ ctx, input }) => {
      await revokeApiKey(ctx, input.id);
      return { success: true as const };
    }),
});
