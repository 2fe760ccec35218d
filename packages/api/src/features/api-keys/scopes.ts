/**
 * Every scope an API key can hold, with the label the web app shows. A procedure that accepts keys
 * names the scopes it needs in `meta.scopes`; one that names none refuses keys altogether.
 */
export const SCOPES = {
  'contacts:read': 'Read your contacts',
  'contacts:write': 'Create, change and delete your contacts',
  'preferences:read': 'Read your preferences',
  'preferences:write': 'Change your preferences',
  'assistant:use': 'Use the assistant (spends your token budget)',
  'webhooks:manage': 'Manage your webhook endpoints and deliveries',
} as const;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as [Scope, ...Scope[]];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}
