import { noInput } from '../../no-input.ts';
import { router, verifiedProcedure } from '../../trpc.ts';
import { EVENT_TYPES } from './event-types.ts';
import {
  createdEndpointOutput,
  createEndpointInput,
  deliveryOutput,
  endpointIdInput,
  endpointListOutput,
  endpointOutput,
  eventTypesOutput,
  listDeliveriesInput,
  listDeliveriesOutput,
  replayInput,
  secretOutput,
  successOutput,
  updateEndpointInput,
} from './webhooks.schema.ts';
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, listEndpoints, replayDelivery, rotateSecret, sendTestEvent, updateEndpoint } from './service.ts';

/**
 * Webhooks (ADR 070). Verified email required: an endpoint makes Bastion send signed requests,
 * carrying the owner's data, to any address the user types, so a throwaway account must not be
 * able to point it anywhere. API keys need `webhooks:manage`. Every statement is scoped to the
 * caller; another user's id is NOT_FOUND.
 */
const manage = verifiedProcedure.meta({ scopes: ['webhooks:manage'] });

export const webhooksRouter = router({
  eventTypes: manage
    .meta({ rateLimit: 'webhooks.read' })
    .input(noInput)
    .output(eventTypesOutput)
    .query(() => Object.entries(EVENT_TYPES).map(([type, description]) => ({ type, description }))),

  endpoints: router({
    create: manage.meta({ rateLimit: 'webhooks.write' }).input(createEndpointInput).output(createdEndpointOutput).mutation(({ ctx, input }) => createEndpoint(ctx, input)),
    list: manage.meta({ rateLimit: 'webhooks.read' }).input(noInput).output(endpointListOutput).query(({ ctx }) => listEndpoints(ctx)),
    get: manage.meta({ rateLimit: 'webhooks.read' }).input(endpointIdInput).output(endpointOutput).query(({ ctx, input }) => getEndpoint(ctx, input.id)),
    update: manage.meta({ rateLimit: 'webhooks.write' }).input(updateEndpointInput).output(endpointOutput).mutation(({ ctx, input }) => updateEndpoint(ctx, input)),
    delete: manage
      .meta({ rateLimit: 'webhooks.write' })
      .input(endpointIdInput)
      .output(successOutput)
      .mutation(async ({ ctx, input }) => {
        await deleteEndpoint(ctx, input.id);
        return { success: true as const };
      }),
    rotateSecret: manage.meta({ rateLimit: 'webhooks.write' }).input(endpointIdInput).output(secretOutput).mutation(({ ctx, input }) => rotateSecret(ctx, input.id)),
    test: manage.meta({ rateLimit: 'webhooks.send' }).input(endpointIdInput).output(deliveryOutput).mutation(({ ctx, input }) => sendTestEvent(ctx, input.id)),
  }),

  deliveries: router({
    list: manage.meta({ rateLimit: 'webhooks.read' }).input(listDeliveriesInput).output(listDeliveriesOutput).query(({ ctx, input }) => listDeliveries(ctx, input)),
    replay: manage.meta({ rateLimit: 'webhooks.send' }).input(replayInput).output(deliveryOutput).mutation(({ ctx, input }) => replayDelivery(ctx, input.deliveryId)),
  }),
});
