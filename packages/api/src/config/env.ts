import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isRateLimitPolicyName, type RateLimitOverride } from './rate-limit-policies.ts';
import { isRetentionDataClass } from './retention-policies.ts';

/** One `RETENTION` entry: keep the data class this long (seconds), or forever (null). */
export interface RetentionOverride {
  dataClass: string;
  seconds: number | null;
}

/** Development-only secrets. Production refuses to start with any of them. */
export const DEV_JWT_SECRETS = 'dev:ZGV2ZWxvcG1lbnQtb25seS1qd3Qta2V5LWRvLW5vdC11c2UtaW4tcHJvZHVjdGlvbg';
export const DEV_REFRESH_TOKEN_SECRET = 'ZGV2ZWxvcG1lbnQtb25seS1yZWZyZXNoLXRva2VuLXNlY3JldC1jaGFuZ2UtbWU';
export const DEV_ENCRYPTION_KEYS = 'dev:ZGV2ZWxvcG1lbnQtb25seS1lbmNyeXB0aW9uLWtleS1kby1ub3QtdXNlLWl0';
export const DEV_AUDIT_CHECKPOINT_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1hdWRpdC1jaGVja3BvaW50LWtleS1kby1ub3QtdXNl';

/** Variables that may instead be read from the file named by `<NAME>_FILE`. */
export const SECRET_VARIABLES = ['DATABASE_URL', 'JWT_SECRETS', 'REFRESH_TOKEN_SECRET', 'METRICS_TOKEN', 'SMTP_URL', 'ENCRYPTION_KEYS', 'REDIS_URL', 'AI_API_KEY', 'AUDIT_CHECKPOINT_KEY', 'GOOGLE_CLIENT_SECRET'] as const;

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const origin = z.url({ protocol: /^https?$/ }).transform((v) => new URL(v).origin);

/** A key of at least 256 bits, given as base64 or base64url. */
const key256 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64 or base64url')
  .refine((v) => Buffer.from(v, 'base64').length >= 32, 'must encode at least 32 bytes (256 bits)');

/** `kid:base64key,…`: the first key is current, all keys are accepted (rotation). JWT and encryption rings. */
const keyRing = z
  .string()
  .transform((value, ctx) => {
    const keys = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const separator = entry.indexOf(':');
        return separator > 0 ? { kid: entry.slice(0, separator), secret: entry.slice(separator + 1) } : { kid: '', secret: entry };
      });
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one kid:secret entry' });
    for (const key of keys) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(key.kid)) ctx.addIssue({ code: 'custom', message: 'each entry must be kid:secret with a kid of [A-Za-z0-9._-]' });
      else if (!key256.safeParse(key.secret).success) ctx.addIssue({ code: 'custom', message: `key "${key.kid}" must be base64 encoding at least 32 bytes` });
    }
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'kids must be unique' });
    return keys.map((k) => ({ kid: k.kid, secret: Buffer.from(k.secret, 'base64') }));
  });

/** `RETENTION`: `<data class>=<duration>|off` entries, e.g. `security_events=180d,assistant_conversations=off`. */
const retentionOverrides = list.transform((entries, ctx): RetentionOverride[] =>
  entries.flatMap((entry) => {
    const match = /^([a-z_]{1,64})=(?:(\d{1,9})([smhd])|(off))$/.exec(entry);
    if (!match?.[1]) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not <data class>=<number><s|m|h|d> or <data class>=off` });
      return [];
    }
    if (!isRetentionDataClass(match[1])) {
      ctx.addIssue({ code: 'custom', message: `"${match[1]}" is not a data class of the retention table (config/retention-policies.ts)` });
      return [];
    }
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[3] as 's' | 'm' | 'h' | 'd'];
    return [{ dataClass: match[1], seconds: match[4] ? null : Number(match[2]) * (unit ?? 1) }];
  }),
);

/** `TRUST_PROXY`: false, true, a hop count, or a comma-separated list of addresses/CIDRs/presets. */
const trustProxy = z.string().transform((value): boolean | number | string[] => {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((part) => part.trim()).filter(Boolean);
});

/** `RATE_LIMITS`: `<policy>=<points>/<seconds>` entries, comma-separated; `*` names every policy. */
const rateLimitOverrides = list.transform((entries, ctx): RateLimitOverride[] =>
  entries.flatMap((entry) => {
    const match = /^([A-Za-z.*]+)=(\d{1,9})\/(\d{1,7})$/.exec(entry);
    const policy = match?.[1];
    if (!match || !policy || (policy !== '*' && !isRateLimitPolicyName(policy)) || Number(match[3]) < 1) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not <known policy>=<points>/<seconds>` });
      return [];
    }
    return [{ policy: policy as RateLimitOverride['policy'], points: Number(match[2]), windowSeconds: Number(match[3]) }];
  }),
);

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  APP_ORIGIN: origin.optional(),
  CORS_ORIGINS: list.pipe(z.array(origin)).default([]),
  TRUST_PROXY: trustProxy.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DB_POOL_MAX: int(1, 500).default(10),
  DB_IDLE_TIMEOUT_S: int(0, 86_400).default(30),
  DB_MAX_LIFETIME_S: int(60, 86_400).default(1800),
  DB_CONNECT_TIMEOUT_S: int(1, 120).default(10),
  DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  DB_POOL_ACQUIRE_TIMEOUT_MS: int(10, 60_000).default(2_000),
  PG_DATA_DIR: z.string().min(1).default('.data/pg'),
  PG_PORT: int(1, 65535).optional(),
  MIGRATE_ON_START: bool.default(true),

  JWT_SECRETS: keyRing.optional(),
  ENCRYPTION_KEYS: keyRing.optional(),
  JWT_ISSUER: z.string().min(1).default('bastion'),
  JWT_AUDIENCE: z.string().min(1).default('bastion-api'),
  ACCESS_TOKEN_TTL_S: int(60, 3600).default(900),
  REFRESH_TOKEN_SECRET: key256.optional(),
  REFRESH_GRACE_S: int(0, 120).default(10),
  SESSION_IDLE_TIMEOUT_S: int(300, 365 * 86_400).default(7 * 86_400),
  SESSION_ABSOLUTE_TIMEOUT_S: int(300, 365 * 86_400).default(30 * 86_400),
  LOCKOUT_THRESHOLD: int(1, 100).default(5),
  LOCKOUT_DURATION_S: int(1, 86_400).default(15 * 60),
  LOGIN_IP_DAILY_CAP: int(1, 1_000_000).default(100),
  LOGIN_ACCOUNT_FAILURE_CAP: int(1, 1_000_000).default(50),
  LOGIN_ACCOUNT_FAILURE_WINDOW_S: int(60, 86_400).default(3600),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).max(200).default('Bastion <no-reply@localhost>'),
  WORKERS: z.enum(['on', 'off']).default('on'),
  JOB_RETRY_DELAY_S: int(1, 3600).default(5),
  WORKER_METRICS_PORT: int(1, 65_535).optional(),
  JOB_SUPERVISE_INTERVAL_S: int(1, 3600).default(60),

  WEBHOOK_RETRY_SCHEDULE: list.pipe(z.array(z.string().regex(/^\d{1,5}$/, "each step is whole seconds").transform(Number).pipe(z.number().int().max(86_400))).min(1).max(20)).optional(),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_DELIVERY_RETENTION_DAYS: int(1, 3650).default(30),
  WEBHOOK_CONCURRENCY: int(1, 200).default(10),
  WEBHOOK_ENDPOINT_CONCURRENCY: int(1, 50).default(2),
  WEBHOOK_DISPATCH_INTERVAL_MS: int(50, 60_000).default(1000),

  PREFERENCES_CACHE_TTL_MS: int(0, 3_600_000).default(60_000),
  PREFERENCES_CACHE_MAX: int(1, 1_000_000).default(10_000),

  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(100 * 1024),
  TRPC_MAX_BATCH: int(1, 100).default(10),
  METRICS_TOKEN: z.string().min(16).optional(),
  DEV_MAILBOX_KEY: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, 'must be 16–200 characters of [A-Za-z0-9_-]').optional(),
  SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
  WEB_DIST_DIR: z.string().optional(),

  RATE_LIMIT_STORE: z.enum(['postgres', 'redis', 'memory']).optional(),
  RATE_LIMITS: rateLimitOverrides.default([]),
  RATE_LIMIT_POOL_MAX: int(1, 50).default(4),

  AI_PROVIDER: z.enum(['local', 'openai']).default('local'),
  AI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  AI_API_KEY: z.string().min(8).optional(),
  AI_MODELS: list.pipe(z.array(z.string().max(100).regex(/^[a-zA-Z0-9/\-_:.]+$/, 'model ids are [a-zA-Z0-9/-_:.]')).min(1)).optional(),
  AI_TIMEOUT_MS: int(100, 300_000).default(30_000),
  AI_MAX_RETRIES: int(0, 5).default(2),
  AI_RETRY_BASE_MS: int(1, 10_000).default(250),
  AI_BREAKER_THRESHOLD: int(1, 100).default(5),
  AI_BREAKER_COOLDOWN_MS: int(100, 600_000).default(30_000),
  AI_REQUESTS_PER_MINUTE: int(1, 10_000).optional(),
  AI_DAILY_TOKEN_BUDGET: int(1, 100_000_000).default(50_000),
  AI_DEFAULT_MAX_TOKENS: int(1, 4000).default(1000),

  /** Signs the audit log's pruning checkpoints and keys its pseudonyms (ADR 081). */
  AUDIT_CHECKPOINT_KEY: key256.optional(),
  ACCOUNT_DELETION_GRACE_S: int(0, 365 * 86_400).default(7 * 86_400),
  RETENTION: retentionOverrides.default([]),

  /** Sign in with Google (OpenID Connect): enabled when the client id and secret are set. */
  GOOGLE_ISSUER: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com'),
  GOOGLE_CLIENT_ID: z.string().min(1).max(500).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  PROVIDER_REFRESH_INTERVAL_S: int(60, 86_400)
    .refine((v) => v % 60 === 0 && (v < 3600 ? 3600 % v === 0 : v % 3600 === 0 && 86_400 % v === 0), 'must divide an hour into whole minutes or a day into whole hours (a cron schedule)')
    .default(6 * 3600),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Replaces `<NAME>_FILE` with the file's content for each secret variable. */
function resolveSecretFiles(source: Record<string, string | undefined>, problems: string[]) {
  const env = { ...source };
  for (const name of SECRET_VARIABLES) {
    const file = source[`${name}_FILE`];
    if (!file) continue;
    if (source[name] !== undefined) {
      problems.push(`${name}: set both ${name} and ${name}_FILE; use one`);
      continue;
    }
    try {
      env[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch {
      problems.push(`${name}_FILE: cannot read ${file}`);
    }
  }
  return env;
}

/** Empty strings mean "unset", as in most .env files. */
function dropEmpty(source: Record<string, string | undefined>) {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const problems: string[] = [];
  const env = dropEmpty(resolveSecretFiles(source, problems));
  const result = envSchema.safeParse(env);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${String(issue.path[0] ?? '(root)')}: ${issue.message}`);
  }
  if (result.success && result.data.NODE_ENV === 'production') {
    const data = result.data;
    if (!source.JWT_SECRETS && !source.JWT_SECRETS_FILE) problems.push('JWT_SECRETS: required in production');
    else if (env.JWT_SECRETS === DEV_JWT_SECRETS) problems.push('JWT_SECRETS: the development key is refused in production');
    if (!data.REFRESH_TOKEN_SECRET) problems.push('REFRESH_TOKEN_SECRET: required in production');
    else if (data.REFRESH_TOKEN_SECRET === DEV_REFRESH_TOKEN_SECRET) problems.push('REFRESH_TOKEN_SECRET: the development key is refused in production');
    if (!data.APP_ORIGIN) problems.push('APP_ORIGIN: required in production');
    if (!source.ENCRYPTION_KEYS && !source.ENCRYPTION_KEYS_FILE) problems.push('ENCRYPTION_KEYS: required in production');
    else if (env.ENCRYPTION_KEYS === DEV_ENCRYPTION_KEYS) problems.push('ENCRYPTION_KEYS: the development key is refused in production');
    if (!data.AUDIT_CHECKPOINT_KEY) problems.push('AUDIT_CHECKPOINT_KEY: required in production (signs audit-log checkpoints; ADR 081)');
    else if (data.AUDIT_CHECKPOINT_KEY === DEV_AUDIT_CHECKPOINT_KEY) problems.push('AUDIT_CHECKPOINT_KEY: the development key is refused in production');
    if (!data.SMTP_URL) problems.push('SMTP_URL: required in production (the development outbox is not served there)');
    if (!data.METRICS_TOKEN) problems.push('METRICS_TOKEN: required in production (/metrics answers only with this bearer token; ADR 040)');
    if (data.WEBHOOK_ALLOW_PRIVATE) problems.push('WEBHOOK_ALLOW_PRIVATE: refused in production (webhooks could then reach internal addresses; it exists for development and tests)');
    if (data.TRUST_PROXY === true) {
      problems.push('TRUST_PROXY: true is refused in production (any client could write its own address into X-Forwarded-For); give the hop count or the proxy addresses/CIDRs');
    }
  }
  if (result.success && result.data.AI_PROVIDER === 'openai') {
    for (const name of ['AI_BASE_URL', 'AI_API_KEY', 'AI_MODELS'] as const) if (!result.data[name]) problems.push(`${name}: required with AI_PROVIDER=openai`);
  }
  if (result.success && Boolean(result.data.GOOGLE_CLIENT_ID) !== Boolean(result.data.GOOGLE_CLIENT_SECRET)) {
    problems.push('GOOGLE_CLIENT_ID: set both GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or neither');
  }
  if (result.success && result.data.NODE_ENV === 'production' && new URL(result.data.GOOGLE_ISSUER).protocol !== 'https:') {
    problems.push('GOOGLE_ISSUER: must be https in production');
  }
  if (result.success && result.data.RATE_LIMIT_STORE === 'redis' && !result.data.REDIS_URL) problems.push('RATE_LIMIT_STORE: redis needs REDIS_URL');
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}
