/**
 * The one rate-limit policy table. Every procedure names one of these in `meta.rateLimit`
 * (procedures.test.ts fails on a procedure without); `global` applies to every call first.
 */
export interface RateLimitPolicy {
  /** Calls allowed per window. */
  points: number;
  windowSeconds: number;
  /**
   * Whose calls are counted: the client address (`clientKey`), the signed-in user (authenticated
   * procedures only), or a subject the handler names (an email, an account) — `subject` policies
   * are counted inside handlers and never named in `meta.rateLimit`. `apiKey`: per API key id,
   * charged (with `global` and the procedure's own policy) on every key-authenticated call.
   */
  key: 'ip' | 'user' | 'subject' | 'apiKey';
  /**
   * When neither the store nor the in-memory insurance limiter can answer: refuse (503) or let the
   * call through. Authentication policies fail closed; a brute-force window must not open.
   */
  failClosed: boolean;
  /** What a refused caller reads; a generic "Too many requests" otherwise. */
  message?: string;
}

export const DEFAULT_RATE_LIMIT_POLICIES = {
  global: { points: 600, windowSeconds: 60, key: 'ip', failClosed: false },
  'auth.register': { points: 3, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.login': { points: 5, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.refresh': { points: 30, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.requestPasswordReset': { points: 3, windowSeconds: 3600, key: 'ip', failClosed: true },
  'auth.resetPassword': { points: 5, windowSeconds: 3600, key: 'ip', failClosed: true },
  'auth.login2fa': { points: 10, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.verifyEmail': { points: 10, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.resendVerification': { points: 5, windowSeconds: 3600, key: 'user', failClosed: true },
  /** Changes to a signed-in account's credentials: password, second factor. */
  'auth.sensitive': { points: 10, windowSeconds: 600, key: 'user', failClosed: true },
  /** Per account, counted in the handlers once the subject is known. */
  'auth.verificationEmail': {
    points: 3,
    windowSeconds: 3600,
    key: 'subject',
    failClosed: true,
    message: 'You asked for several emails already. Check your inbox and spam folder, or try again later.',
  },
  'auth.passwordResetEmail': {
    points: 3,
    windowSeconds: 3600,
    key: 'subject',
    failClosed: true,
    message: 'Too many reset requests. Check your inbox and spam folder, or try again in an hour.',
  },
  /** Across 2FA challenges: each needs the password, but guesses per account stay bounded. */
  'auth.secondFactorCodes': { points: 15, windowSeconds: 900, key: 'subject', failClosed: true, message: 'Too many wrong codes. Try again in 15 minutes.' },
  /** A stolen session must not become an unlimited password or code oracle. */
  'auth.changePassword': { points: 5, windowSeconds: 900, key: 'subject', failClosed: true, message: 'Too many attempts. Try again in 15 minutes.' },
  /** Email change requests per account: each checks the password and mails an address. */
  'auth.emailChange': { points: 5, windowSeconds: 3600, key: 'subject', failClosed: true, message: 'Too many email change requests. Try again in an hour.' },
  'auth.twoFactorManage': { points: 5, windowSeconds: 900, key: 'subject', failClosed: true, message: 'Too many attempts. Try again in 15 minutes.' },
  /** Starting a provider sign-in and its callback (per address). */
  'auth.oauth': { points: 20, windowSeconds: 60, key: 'ip', failClosed: true },
  'auth.providers': { points: 60, windowSeconds: 60, key: 'ip', failClosed: false },
  /** The provider's security-event pushes (RISC): signed, but a flood is still refused. */
  'auth.providerEvents': { points: 300, windowSeconds: 60, key: 'ip', failClosed: false },
  /** Listing and disconnecting one's connected accounts. */
  'connectedAccounts.manage': { points: 60, windowSeconds: 60, key: 'user', failClosed: false },
  'auth.session': { points: 60, windowSeconds: 60, key: 'user', failClosed: false },
  'dev.mailbox': { points: 120, windowSeconds: 60, key: 'ip', failClosed: false },
  'health.ping': { points: 60, windowSeconds: 60, key: 'ip', failClosed: false },
  'admin.default': { points: 120, windowSeconds: 60, key: 'user', failClosed: true },
  /** Streams the whole audit log: a few per hour. */
  'admin.export': { points: 10, windowSeconds: 3600, key: 'user', failClosed: true },
  /** account.exportData / account.delete / account.cancelDeletion (the 3 exports a day are counted in the handler). */
  'account.privacy': { points: 10, windowSeconds: 3600, key: 'user', failClosed: true },
  /** Cheap reads and writes of a signed-in user's own data. */
  'user.default': { points: 120, windowSeconds: 60, key: 'user', failClosed: false },
  /** Batch writes of up to 1000 rows. */
  'user.bulk': { points: 10, windowSeconds: 60, key: 'user', failClosed: false },
  /** Every call made with one API key, on top of the procedure's own (per-user) policy. */
  'apikey.default': { points: 300, windowSeconds: 60, key: 'apiKey', failClosed: false },
  /** Listing, creating and revoking one's API keys. */
  'apikeys.manage': { points: 30, windowSeconds: 60, key: 'user', failClosed: false },
  /** Webhooks: reads, endpoint changes, and calls that make Bastion send a request now (test, replay). */
  'webhooks.read': { points: 120, windowSeconds: 60, key: 'user', failClosed: false },
  'webhooks.write': { points: 30, windowSeconds: 60, key: 'user', failClosed: false },
  'webhooks.send': { points: 10, windowSeconds: 60, key: 'user', failClosed: true },
  /** Calls that cost upstream money: `AI_REQUESTS_PER_MINUTE` sets its points. */
  'assistant.expensive': { points: 10, windowSeconds: 60, key: 'user', failClosed: true },
} as const satisfies Record<string, RateLimitPolicy>;

export type RateLimitPolicyName = keyof typeof DEFAULT_RATE_LIMIT_POLICIES;
export type RateLimitPolicies = Record<RateLimitPolicyName, RateLimitPolicy>;

export function isRateLimitPolicyName(name: string): name is RateLimitPolicyName {
  return Object.hasOwn(DEFAULT_RATE_LIMIT_POLICIES, name);
}

/** `RATE_LIMITS` entries: `<policy>=<points>/<seconds>`, `*` for every policy; later entries win. */
export interface RateLimitOverride {
  policy: RateLimitPolicyName | '*';
  points: number;
  windowSeconds: number;
}

export function resolveRateLimitPolicies(options: { overrides: RateLimitOverride[]; assistantRequestsPerMinute: number | undefined }): RateLimitPolicies {
  const policies: RateLimitPolicies = { ...DEFAULT_RATE_LIMIT_POLICIES };
  const names = Object.keys(policies) as RateLimitPolicyName[];
  const apply = (name: RateLimitPolicyName, points: number, windowSeconds: number) => {
    policies[name] = { ...policies[name], points, windowSeconds };
  };
  for (const o of options.overrides) if (o.policy === '*') for (const name of names) apply(name, o.points, o.windowSeconds);
  if (options.assistantRequestsPerMinute !== undefined) apply('assistant.expensive', options.assistantRequestsPerMinute, 60);
  for (const o of options.overrides) if (o.policy !== '*') apply(o.policy, o.points, o.windowSeconds);
  return policies;
}
