import { and, asc, eq, or } from 'drizzle-orm';
import type { Logger } from 'pino';
import { schema, type Database, type Transaction } from '@bastion/db';
import type { AppConfig } from '../../config/index.ts';
import { eraseConnectedAccounts } from '../oidc/connected-accounts.service.ts';

/**
 * Everything the application keeps about a user, one entry per data class (ADR 084). Each entry
 * is both an exporter (what account.exportData puts in `<name>.json`) and, where a plain cascade
 * is not enough, an eraser (what the erasure job must do before the user row is deleted, e.g.
 * revoke a provider's tokens). The rows themselves go with `DELETE FROM users`: every table with a
 * user reference cascades, which privacy.test.ts checks against the catalog.
 *
 * To add a data class (at merge: API keys, webhook endpoints and deliveries, connected accounts),
 * append one entry here, e.g.
 *   { name: 'api_keys', export: (db, id) => db.select({ id, name, prefix, scopes, createdAt, lastUsedAt, revokedAt }).from(apiKeys).where(eq(apiKeys.userId, id)) },
 *   { name: 'webhook_endpoints', export: …, erase: (tx, id) => disable the endpoints so no delivery starts mid-erasure },
 *   { name: 'webhook_deliveries', export: … (payload metadata, status; no signing secret) },
 *   { name: 'connected_accounts', export: … (provider, subject, email; no tokens), erase: revoke the provider tokens },
 * Never export a secret (hash, token, sealed key): metadata only.
 */
export interface DataClass {
  /** File name in the archive (`<name>.json`) and the key in tests; snake_case. */
  name: string;
  /** The user's rows of this class, owner-scoped in the SQL, explicit columns, no secrets. */
  export(db: Database | Transaction, userId: string): Promise<unknown>;
  /** Work beyond the cascade, run in the erasure's transaction before the user row is deleted. */
  erase?(tx: Transaction, userId: string, deps: { config: AppConfig; logger: Logger }): Promise<void>;
}

const {
  users,
  userPreferences,
  contacts,
  sessions,
  securityEvents,
  assistantConversations,
  assistantMessages,
  assistantTokenUsage,
  assistantRequests,
  userTwoFactor,
  auditLog,
  dataExports,
  apiKeys,
  webhookEndpoints,
  webhookDeliveries,
  connectedAccounts,
  emailChanges,
} = schema;

export const DATA_CLASSES: readonly DataClass[] = [
  {
    name: 'profile',
    export: async (db, id) => {
      const [row] = await db
        .select({ id: users.id, email: users.email, name: users.name, role: users.role, emailVerifiedAt: users.emailVerifiedAt, createdAt: users.createdAt, updatedAt: users.updatedAt, deletionScheduledAt: users.deletionScheduledAt })
        .from(users)
        .where(eq(users.id, id))
        .limit(1);
      const [twoFactor] = await db.select({ enabledAt: userTwoFactor.enabledAt }).from(userTwoFactor).where(eq(userTwoFactor.userId, id)).limit(1);
      return { ...row, twoFactorEnabledAt: twoFactor?.enabledAt ?? null };
    },
  },
  {
    name: 'preferences',
    export: async (db, id) =>
      (await db
        .select({ theme: userPreferences.theme, timeZone: userPreferences.timeZone, locale: userPreferences.locale, emailNotifications: userPreferences.emailNotifications, updatedAt: userPreferences.updatedAt })
        .from(userPreferences)
        .where(eq(userPreferences.userId, id))
        .limit(1))[0] ?? null,
  },
  {
    name: 'contacts',
    export: (db, id) =>
      db
        .select({ id: contacts.id, name: contacts.name, email: contacts.email, phone: contacts.phone, company: contacts.company, tags: contacts.tags, notes: contacts.notes, createdAt: contacts.createdAt, updatedAt: contacts.updatedAt })
        .from(contacts)
        .where(eq(contacts.ownerId, id))
        .orderBy(asc(contacts.createdAt), asc(contacts.id)),
  },
  {
    name: 'sessions',
    export: (db, id) =>
      db
        .select({ id: sessions.id, ip: sessions.ip, userAgent: sessions.userAgent, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt, expiresAt: sessions.expiresAt, revokedAt: sessions.revokedAt, revokedReason: sessions.revokedReason })
        .from(sessions)
        .where(eq(sessions.userId, id))
        .orderBy(asc(sessions.createdAt), asc(sessions.id)),
  },
  {
    name: 'security_events',
    export: (db, id) =>
      db
        .select({ id: securityEvents.id, type: securityEvents.type, ip: securityEvents.ip, userAgent: securityEvents.userAgent, details: securityEvents.details, createdAt: securityEvents.createdAt })
        .from(securityEvents)
        .where(eq(securityEvents.userId, id))
        .orderBy(asc(securityEvents.createdAt), asc(securityEvents.id)),
  },
  {
    name: 'assistant_conversations',
    export: async (db, id) => {
      const conversations = await db
        .select({ id: assistantConversations.id, title: assistantConversations.title, model: assistantConversations.model, createdAt: assistantConversations.createdAt, updatedAt: assistantConversations.updatedAt })
        .from(assistantConversations)
        .where(eq(assistantConversations.ownerId, id))
        .orderBy(asc(assistantConversations.createdAt), asc(assistantConversations.id));
      const messages = await db
        .select({ conversationId: assistantMessages.conversationId, role: assistantMessages.role, content: assistantMessages.content, createdAt: assistantMessages.createdAt })
        .from(assistantMessages)
        .where(eq(assistantMessages.ownerId, id))
        .orderBy(asc(assistantMessages.createdAt), asc(assistantMessages.id));
      return conversations.map((c) => ({ ...c, messages: messages.filter((m) => m.conversationId === c.id).map(({ conversationId: _, ...m }) => m) }));
    },
  },
  {
    name: 'assistant_usage',
    export: async (db, id) => ({
      dailyTokens: await db.select({ day: assistantTokenUsage.day, tokens: assistantTokenUsage.tokens }).from(assistantTokenUsage).where(eq(assistantTokenUsage.userId, id)).orderBy(asc(assistantTokenUsage.day)),
      requests: await db
        .select({ requestId: assistantRequests.requestId, promptTokens: assistantRequests.promptTokens, completionTokens: assistantRequests.completionTokens, createdAt: assistantRequests.createdAt, completedAt: assistantRequests.completedAt })
        .from(assistantRequests)
        .where(eq(assistantRequests.ownerId, id))
        .orderBy(asc(assistantRequests.createdAt)),
    }),
  },
  {
    name: 'data_exports',
    export: (db, id) =>
      db.select({ id: dataExports.id, status: dataExports.status, requestedAt: dataExports.requestedAt, readyAt: dataExports.readyAt, downloadedAt: dataExports.downloadedAt }).from(dataExports).where(eq(dataExports.userId, id)).orderBy(asc(dataExports.requestedAt)),
  },
  {
    name: 'email_changes',
    export: (db, id) =>
      db
        .select({ id: emailChanges.id, oldEmail: emailChanges.oldEmail, newEmail: emailChanges.newEmail, createdAt: emailChanges.createdAt, confirmedAt: emailChanges.confirmedAt, revertedAt: emailChanges.revertedAt })
        .from(emailChanges)
        .where(eq(emailChanges.userId, id))
        .orderBy(asc(emailChanges.createdAt)),
  },
  {
    name: 'audit_entries',
    export: (db, id) =>
      db
        .select({ seq: auditLog.seq, at: auditLog.at, actorType: auditLog.actorType, actorId: auditLog.actorId, action: auditLog.action, subjectId: auditLog.subjectId, ip: auditLog.ip, detail: auditLog.detail })
        .from(auditLog)
        .where(and(or(eq(auditLog.subjectId, id), and(eq(auditLog.actorType, 'user'), eq(auditLog.actorId, id)))))
        .orderBy(asc(auditLog.seq)),
  },
  {
    // Metadata only: never the secret's hash or the key ring id that peppers it.
    name: 'api_keys',
    export: (db, id) =>
      db
        .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, scopes: apiKeys.scopes, createdAt: apiKeys.createdAt, expiresAt: apiKeys.expiresAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .where(eq(apiKeys.userId, id))
        .orderBy(asc(apiKeys.createdAt)),
  },
  {
    // Never the sealed signing secrets.
    name: 'webhook_endpoints',
    export: (db, id) =>
      db
        .select({
          id: webhookEndpoints.id,
          url: webhookEndpoints.url,
          events: webhookEndpoints.events,
          description: webhookEndpoints.description,
          enabled: webhookEndpoints.enabled,
          disabledReason: webhookEndpoints.disabledReason,
          createdAt: webhookEndpoints.createdAt,
          updatedAt: webhookEndpoints.updatedAt,
        })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.ownerId, id))
        .orderBy(asc(webhookEndpoints.createdAt)),
    // No delivery may start while the erasure runs: the endpoints stop first, in its transaction.
    erase: async (tx, id) => {
      await tx.update(webhookEndpoints).set({ enabled: false, disabledReason: 'manual' }).where(eq(webhookEndpoints.ownerId, id));
    },
  },
  {
    name: 'webhook_deliveries',
    export: (db, id) =>
      db
        .select({
          id: webhookDeliveries.id,
          endpointId: webhookDeliveries.endpointId,
          eventId: webhookDeliveries.eventId,
          eventType: webhookDeliveries.eventType,
          body: webhookDeliveries.body,
          status: webhookDeliveries.status,
          attempts: webhookDeliveries.attempts,
          lastAttemptAt: webhookDeliveries.lastAttemptAt,
          responseStatus: webhookDeliveries.responseStatus,
          durationMs: webhookDeliveries.durationMs,
          createdAt: webhookDeliveries.createdAt,
        })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.ownerId, id))
        .orderBy(asc(webhookDeliveries.createdAt)),
  },
  {
    // Never the sealed tokens: which provider account, its status and when it was refreshed.
    name: 'connected_accounts',
    export: (db, id) =>
      db
        .select({
          id: connectedAccounts.id,
          provider: connectedAccounts.provider,
          subject: connectedAccounts.subject,
          email: connectedAccounts.email,
          scopes: connectedAccounts.scopes,
          status: connectedAccounts.status,
          expiresAt: connectedAccounts.expiresAt,
          lastRefreshedAt: connectedAccounts.lastRefreshedAt,
          createdAt: connectedAccounts.createdAt,
        })
        .from(connectedAccounts)
        .where(eq(connectedAccounts.userId, id))
        .orderBy(asc(connectedAccounts.createdAt)),
    // The provider stops honouring the tokens too, not only this database.
    erase: eraseConnectedAccounts,
  },
];
