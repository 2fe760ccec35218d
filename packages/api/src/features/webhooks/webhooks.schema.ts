import { z } from 'zod';
import { schema } from '@bastion/db';
import { ALL_EVENTS, EVENT_TYPE_NAMES } from './event-types.ts';

const LIMITS = schema.WEBHOOK_LIMITS;

const url = z.string().trim().min(1, 'Enter the URL that receives the webhooks.').max(LIMITS.url, `At most ${LIMITS.url} characters.`);
const events = z
  .array(z.union([z.enum(EVENT_TYPE_NAMES), z.literal(ALL_EVENTS)], { error: 'Unknown event type.' }))
  .min(1, 'Choose at least one event type.')
  .max(LIMITS.events)
  .transform((list) => [...new Set(list)]);
const description = z.string().trim().max(LIMITS.description, `At most ${LIMITS.description} characters.`);

export const endpointIdInput = z.object({ id: z.uuid() });

export const createEndpointInput = z.object({ url, events, description: description.optional() });

export const updateEndpointInput = z.object({
  id: z.uuid(),
  url: url.optional(),
  events: events.optional(),
  description: description.nullable().optional(),
  enabled: z.boolean().optional(),
});

const endpointFields = {
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  createdAt: z.iso.datetime(),
};

export const endpointOutput = z.object({ ...endpointFields, disabledReason: z.enum(['manual', 'gone', 'failing']).nullable() });
export const createdEndpointOutput = z.object({ ...endpointFields, secret: z.string() });
export const endpointListOutput = z.array(endpointOutput);
export const secretOutput = z.object({ secret: z.string() });
export const successOutput = z.object({ success: z.literal(true) });

export const eventTypesOutput = z.array(z.object({ type: z.string(), description: z.string() }));

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;

export const deliveryOutput = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int().nonnegative(),
  lastAttemptAt: z.iso.datetime().nullable(),
  nextAttemptAt: z.iso.datetime().nullable(),
  responseStatus: z.number().int().nullable(),
  responseBodyExcerpt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
});

export const listDeliveriesInput = z.object({
  endpointId: z.uuid(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

export const listDeliveriesOutput = z.object({ items: z.array(deliveryOutput), nextCursor: z.string().nullable() });

export const replayInput = z.object({ deliveryId: z.uuid() });

export type CreateEndpoint = z.infer<typeof createEndpointInput>;
export type UpdateEndpoint = z.infer<typeof updateEndpointInput>;
export type EndpointDto = z.infer<typeof endpointOutput>;
export type DeliveryDto = z.infer<typeof deliveryOutput>;
export type ListDeliveries = z.infer<typeof listDeliveriesInput>;
