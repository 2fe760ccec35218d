/** The events an endpoint can subscribe to; `*` subscribes to all of them, present and future. */
export const EVENT_TYPES = {
  'contact.created': 'A contact was created (one event per contact, imports included).',
  'contact.updated': 'A contact was changed; the event names the changed fields.',
  'contact.deleted': 'A contact was deleted; only its id is sent.',
} as const;

export type EventType = keyof typeof EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as [EventType, ...EventType[]];

/** Sent by `webhooks.endpoints.test` to that endpoint only, whatever it subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';

export const ALL_EVENTS = '*';

export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}
