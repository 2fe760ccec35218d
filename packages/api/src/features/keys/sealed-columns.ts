import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { schema } from '@bastion/db';
import { secretContext } from '../auth/two-factor.service.ts';
import { verifierContext } from '../oidc/state.ts';
import { tokenContext } from '../oidc/tokens.ts';
import { endpointSecretContext } from '../webhooks/secrets.ts';

/**
 * Every column that holds a value sealed with the key ring (ADR 013). Key rotation and the
 * "which keys are still in use" report walk this list, so a feature that seals a new column adds
 * one entry here and is rotated with the rest; the test beside it fails for a sealed column that
 * is missing.
 */
export interface SealedColumn {
  /** `table.column`, as the reports name it. */
  name: string;
  table: PgTable;
  /** A unique, ordered key for keyset batches. */
  id: AnyPgColumn;
  column: AnyPgColumn;
  /** A second column the context names (the owning user), when it names one. */
  owner?: AnyPgColumn;
  /** The associated data the value was sealed under, from the row's key (and owner). */
  context: (id: string, owner: string) => string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    name: 'user_two_factor.secret_encrypted',
    table: schema.userTwoFactor,
    id: schema.userTwoFactor.userId,
    column: schema.userTwoFactor.secretEncrypted,
    context: secretContext,
  },
  {
    name: 'webhook_endpoints.secret_sealed',
    table: schema.webhookEndpoints,
    id: schema.webhookEndpoints.id,
    column: schema.webhookEndpoints.secretSealed,
    context: (id) => endpointSecretContext(id, 'current'),
  },
  {
    name: 'webhook_endpoints.previous_secret_sealed',
    table: schema.webhookEndpoints,
    id: schema.webhookEndpoints.id,
    column: schema.webhookEndpoints.previousSecretSealed,
    context: (id) => endpointSecretContext(id, 'previous'),
  },
  {
    name: 'connected_accounts.access_token_sealed',
    table: schema.connectedAccounts,
    id: schema.connectedAccounts.id,
    column: schema.connectedAccounts.accessTokenSealed,
    owner: schema.connectedAccounts.userId,
    context: (id, userId) => tokenContext('access_token', userId, id),
  },
  {
    name: 'connected_accounts.refresh_token_sealed',
    table: schema.connectedAccounts,
    id: schema.connectedAccounts.id,
    column: schema.connectedAccounts.refreshTokenSealed,
    owner: schema.connectedAccounts.userId,
    context: (id, userId) => tokenContext('refresh_token', userId, id),
  },
  {
    // Lives 10 minutes; rotated like the rest so a removed key never strands a sign-in under way.
    name: 'oauth_states.code_verifier_sealed',
    table: schema.oauthStates,
    id: schema.oauthStates.id,
    column: schema.oauthStates.codeVerifierSealed,
    context: (id) => verifierContext(id),
  },
];
