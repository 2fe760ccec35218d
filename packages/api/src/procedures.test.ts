import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT_POLICIES, isRateLimitPolicyName } from './config/rate-limit-policies.ts';
import type { Meta } from './trpc.ts';
import { isScope } from './features/api-keys/scopes.ts';
import { isPermission } from './features/auth/permissions.ts';
import { appRouter } from './root.ts';
import { isSyncFirst } from './lib/sync-first.ts';

interface ProcedureDef {
  inputs: unknown[];
  output?: unknown;
  meta?: Meta;
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>);

describe('every procedure', () => {
  it('exists', () => {
    expect(procedures.length).toBeGreaterThan(5);
  });

  it.each(procedures)('%s declares an access level, a zod input and a zod output', (_path, procedure) => {
    expect(['public', 'authed', 'verified', 'admin']).toContain(procedure._def.meta?.access);
    expect(procedure._def.inputs.length).toBeGreaterThan(0);
    expect(procedure._def.output).toBeDefined();
  });

  it.each(procedures)('%s validates its input and output synchronously first (lib/sync-first.ts)', (_path, procedure) => {
    for (const input of procedure._def.inputs) expect(isSyncFirst(input)).toBe(true);
    expect(isSyncFirst(procedure._def.output)).toBe(true);
  });

  it.each(procedures)('%s declares a known rate-limit policy, per-user only when signed in', (_path, procedure) => {
    const name = procedure._def.meta?.rateLimit ?? '';
    expect(isRateLimitPolicyName(name), `rate-limit policy "${name}"`).toBe(true);
    if (isRateLimitPolicyName(name) && DEFAULT_RATE_LIMIT_POLICIES[name].key === 'user') {
      expect(procedure._def.meta?.access).not.toBe('public');
    }
    // Subject policies are counted by handlers, under a key only they know.
    if (isRateLimitPolicyName(name)) expect(DEFAULT_RATE_LIMIT_POLICIES[name].key).not.toBe('subject');
    // The per-key policy is charged on every key-authenticated call, never named by one procedure.
    if (isRateLimitPolicyName(name)) expect(DEFAULT_RATE_LIMIT_POLICIES[name].key).not.toBe('apiKey');
  });

  it.each(procedures.filter(([, procedure]) => procedure._def.meta?.access === 'admin'))('%s (admin) declares a known permission', (_path, procedure) => {
    expect(isPermission(procedure._def.meta?.permission), `permission "${String(procedure._def.meta?.permission)}"`).toBe(true);
  });

  it('every admin procedure is under admin.*, and every admin.* procedure is an admin procedure', () => {
    for (const [path, procedure] of procedures) expect(path.startsWith('admin.'), path).toBe(procedure._def.meta?.access === 'admin');
  });

  it('keeps the contract names', () => {
    expect(procedures.map(([path]) => path).sort()).toEqual(
      expect.arrayContaining([
        'auth.register',
        'auth.login',
        'auth.refresh',
        'auth.logout',
        'auth.me',
        'health.ping',
        'auth.login2fa',
        'auth.logoutAll',
        'auth.sessions.list',
        'auth.sessions.revoke',
        'auth.securityLog',
        'auth.verifyEmail',
        'auth.resendVerification',
        'auth.requestPasswordReset',
        'auth.resetPassword',
        'auth.changePassword',
        'auth.updateProfile',
        'auth.requestEmailChange',
        'auth.confirmEmailChange',
        'auth.undoEmailChange',
        'auth.twoFactor.setup',
        'auth.twoFactor.enable',
        'auth.twoFactor.disable',
        'auth.twoFactor.regenerateRecoveryCodes',
        'admin.users.disable',
        'admin.users.unlock',
        'admin.users.disableTwoFactor',
        'admin.users.list',
        'admin.users.get',
        'admin.users.enable',
        'admin.users.setRole',
        'admin.users.revokeSessions',
        'admin.audit.list',
        'admin.audit.export',
        'account.exportData',
        'account.delete',
        'account.cancelDeletion',
        'contacts.create',
        'contacts.get',
        'contacts.update',
        'contacts.delete',
        'contacts.list',
        'contacts.importMany',
        'contacts.deleteMany',
        'contacts.previewImport',
        'contacts.undoImport',
        'contacts.tagMany',
        'contacts.history',
        'preferences.get',
        'preferences.update',
        'apiKeys.create',
        'apiKeys.list',
        'apiKeys.revoke',
        'auth.providers',
        'auth.oauth.start',
        'auth.setPassword',
        'auth.passwordStatus',
        'connectedAccounts.list',
        'connectedAccounts.disconnect',
      ]),
    );
  });
});

/**
 * The procedures an API key may call, with the scopes each needs. Accepting keys is a decision
 * made here, on purpose: a procedure that declares scopes without an entry fails, and so does one
 * that lost its scopes.
 */
const KEY_SCOPES: Record<string, readonly string[]> = {
  'contacts.list': ['contacts:read'],
  'contacts.get': ['contacts:read'],
  'contacts.create': ['contacts:write'],
  'contacts.update': ['contacts:write'],
  'contacts.delete': ['contacts:write'],
  'contacts.importMany': ['contacts:write'],
  'contacts.deleteMany': ['contacts:write'],
  'contacts.previewImport': ['contacts:read'],
  'contacts.undoImport': ['contacts:write'],
  'contacts.tagMany': ['contacts:write'],
  'contacts.history': ['contacts:read'],
  'preferences.get': ['preferences:read'],
  'preferences.update': ['preferences:write'],
  'assistant.chat': ['assistant:use'],
  'assistant.chatStream': ['assistant:use'],
  'assistant.models': ['assistant:use'],
  'assistant.usage': ['assistant:use'],
  'assistant.conversations.list': ['assistant:use'],
  'assistant.conversations.get': ['assistant:use'],
  'assistant.conversations.delete': ['assistant:use'],
  'webhooks.eventTypes': ['webhooks:manage'],
  'webhooks.endpoints.create': ['webhooks:manage'],
  'webhooks.endpoints.list': ['webhooks:manage'],
  'webhooks.endpoints.get': ['webhooks:manage'],
  'webhooks.endpoints.update': ['webhooks:manage'],
  'webhooks.endpoints.delete': ['webhooks:manage'],
  'webhooks.endpoints.rotateSecret': ['webhooks:manage'],
  'webhooks.endpoints.test': ['webhooks:manage'],
  'webhooks.deliveries.list': ['webhooks:manage'],
  'webhooks.deliveries.replay': ['webhooks:manage'],
};

/** Groups a key must never reach: they manage the account's own credentials and other people. */
const KEY_REFUSING_GROUPS = ['auth.', 'apiKeys.', 'admin.', 'dev.', 'connectedAccounts.'];

describe('API key scopes', () => {
  it.each(procedures)('%s accepts API keys only with declared, known scopes', (path, procedure) => {
    const scopes = procedure._def.meta?.scopes;
    if (scopes === undefined) {
      // No scopes: keys are refused (FORBIDDEN api_key_not_allowed) — unless the contract says otherwise.
      expect(KEY_SCOPES[path], `${path} must declare scopes ${KEY_SCOPES[path]?.join(', ')}`).toBeUndefined();
      return;
    }
    expect(scopes.length, `${path} declares an empty scope list`).toBeGreaterThan(0);
    for (const scope of scopes) expect(isScope(scope), `unknown scope ${scope}`).toBe(true);
    // A public procedure authenticates nobody: scopes there would promise a check that never runs.
    expect(procedure._def.meta?.access).not.toBe('public');
    expect(KEY_SCOPES[path], `${path} accepts API keys but is not in KEY_SCOPES`).toEqual(scopes);
  });

  it('key-refusing groups (auth, sessions, 2FA, password, API keys, admin) declare no scopes', () => {
    const refusing = procedures.filter(([path]) => KEY_REFUSING_GROUPS.some((group) => path.startsWith(group)));
    expect(refusing.map(([path]) => path)).toEqual(expect.arrayContaining(['auth.sessions.list', 'auth.changePassword', 'auth.twoFactor.setup', 'apiKeys.create', 'apiKeys.list', 'apiKeys.revoke', 'admin.users.disable']));
    for (const [path, procedure] of refusing) expect(procedure._def.meta?.scopes, path).toBeUndefined();
  });

  it('every contracted key procedure exists', () => {
    const paths = new Set(procedures.map(([path]) => path));
    for (const path of Object.keys(KEY_SCOPES)) expect(paths.has(path), path).toBe(true);
  });
});

describe('the policy table', () => {
  it('holds the issue\'s limits', () => {
    expect(DEFAULT_RATE_LIMIT_POLICIES['auth.register']).toMatchObject({ points: 3, windowSeconds: 60, key: 'ip', failClosed: true });
    expect(DEFAULT_RATE_LIMIT_POLICIES['auth.login']).toMatchObject({ points: 5, windowSeconds: 60, key: 'ip', failClosed: true });
    expect(DEFAULT_RATE_LIMIT_POLICIES['auth.requestPasswordReset']).toMatchObject({ points: 3, windowSeconds: 3600 });
    expect(DEFAULT_RATE_LIMIT_POLICIES['auth.resetPassword']).toMatchObject({ points: 5, windowSeconds: 3600 });
    expect(DEFAULT_RATE_LIMIT_POLICIES['assistant.expensive']).toMatchObject({ key: 'user', failClosed: true });
    expect(DEFAULT_RATE_LIMIT_POLICIES['apikey.default']).toMatchObject({ key: 'apiKey' });
    // Starting a provider sign-in (and its callback) is an authentication step: per address, fail closed.
    expect(DEFAULT_RATE_LIMIT_POLICIES['auth.oauth']).toMatchObject({ key: 'ip', failClosed: true });
  });
});
