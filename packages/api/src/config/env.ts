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
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development').describe("`development`, `test` or `production`; production refuses the development keys and needs the variables marked *"),
  HOST: z.string().min(1).default('127.0.0.1').describe("interface to listen on (`0.0.0.0` in a container)"),
  PORT: int(0, 65535).default(3000).describe("port to listen on (`pnpm cluster`: the load balancer's port)"),
  APP_ORIGIN: origin.optional().describe("public origin of the web app, e.g. `https://app.example.com` (CORS, CSRF, links in mail, the Host allow-list); default `http://localhost:$PORT`"),
  CORS_ORIGINS: list.pipe(z.array(origin)).default([]).describe("more browser origins allowed to call the API, comma-separated; their host names are served too (any other `Host` gets 421; loopback always passes)"),
  TRUST_PROXY: trustProxy.default(false).describe("`false`, a hop count, or the proxies' addresses/CIDRs (comma-separated): whose `X-Forwarded-For` to believe; `true` (every hop) is refused in production; `pnpm cluster` sets `1` (HAProxy)"),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe("pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`"),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional().describe("PostgreSQL URL `postgres://user:pass@host:5432/db`; unset: an embedded PostgreSQL 15 in `PG_DATA_DIR` (development)"),
  DB_POOL_MAX: int(1, 500).default(10).describe("connections of this process's main pool (keep instances × this + the other pools under the server's `max_connections`)"),
  DB_IDLE_TIMEOUT_S: int(0, 86_400).default(30).describe("an idle pool connection is closed after this long"),
  DB_MAX_LIFETIME_S: int(60, 86_400).default(1800).describe("a pool connection is replaced after this long"),
  DB_CONNECT_TIMEOUT_S: int(1, 120).default(10).describe("how long opening a database connection may take"),
  DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(10_000).describe("per-connection `statement_timeout`"),
  DB_POOL_ACQUIRE_TIMEOUT_MS: int(10, 60_000).default(2_000).describe("longest wait for a free pool connection; then 503 `database_busy`"),
  DB_POOL_PIPELINE: int(1, 8).default(2).describe("statements in flight per pool connection while every connection is busy and none has run 50 ms (pipelining: one write and round trip less per statement); `1` turns it off"),
  PG_DATA_DIR: z.string().min(1).default('.data/pg').describe("embedded PostgreSQL's data directory (kept across restarts; its password beside it)"),
  PG_PORT: int(1, 65535).optional().describe("embedded PostgreSQL's port (default: a free one)"),
  MIGRATE_ON_START: bool.default(true).describe("apply migrations at start under an advisory lock (`false`: run `pnpm db:migrate` first)"),

  JWT_SECRETS: keyRing.optional().describe("`kid:base64key,…`, each ≥ 256 bits: the first signs access tokens, all verify (rotation); development: a built-in key"),
  ENCRYPTION_KEYS: keyRing.optional().describe("`kid:base64key,…`: AES-256-GCM key ring for secrets at rest (TOTP, webhook secrets, connected accounts); the first seals, all open (`pnpm keys:rotate` reseals under the first); also peppers API key hashes (removing a kid invalidates the keys hashed under it, ADR 060); development: a built-in key"),
  JWT_ISSUER: z.string().min(1).default('bastion').describe("the `iss` claim issued and required"),
  JWT_AUDIENCE: z.string().min(1).default('bastion-api').describe("the `aud` claim issued and required"),
  ACCESS_TOKEN_TTL_S: int(60, 3600).default(900).describe("access token lifetime"),
  REFRESH_TOKEN_SECRET: key256.optional().describe("base64, ≥ 256 bits: derives rotated refresh tokens and keys the device cookies (see Rotating keys); development: a built-in key"),
  REFRESH_GRACE_S: int(0, 120).default(10).describe("a just-rotated refresh token replayed this soon returns the same child"),
  SESSION_IDLE_TIMEOUT_S: int(300, 365 * 86_400).default(7 * 86_400).describe("a session whose refresh token is unused this long ends (7 days)"),
  SESSION_ABSOLUTE_TIMEOUT_S: int(300, 365 * 86_400).default(30 * 86_400).describe("no session outlives this (30 days)"),
  LOCKOUT_THRESHOLD: int(1, 100).default(5).describe("consecutive failed sign-ins of one account from one address before that pair is blocked"),
  LOCKOUT_DURATION_S: int(1, 86_400).default(15 * 60).describe("how long that account+address pair stays blocked (15 minutes)"),
  LOGIN_IP_DAILY_CAP: int(1, 1_000_000).default(100).describe("failed sign-ins per address per day, across all accounts"),
  LOGIN_ACCOUNT_FAILURE_CAP: int(1, 1_000_000).default(50).describe("failed sign-ins of one account from all addresses per window; past it only browsers that signed in to it before (device cookie) may sign in, and the owner is emailed once"),
  LOGIN_ACCOUNT_FAILURE_WINDOW_S: int(60, 86_400).default(3600).describe("that window (1 hour)"),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional().describe("`redis(s)://…` (may carry a password); set: rate-limit counters live there and cross-instance invalidation (sessions, API keys, preferences) goes over Redis pub/sub instead of LISTEN/NOTIFY"),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional().describe("`smtp(s)://user:pass@host:port`; unset (development, tests): mail goes to the outbox shown at `/dev/mailbox`"),
  MAIL_FROM: z.string().min(3).max(200).default('Bastion <no-reply@localhost>').describe("sender of every email (its domain also ends each Message-ID)"),
  WORKERS: z.enum(['on', 'off']).default('on').describe("`off` keeps background workers out of this process; run `pnpm worker` instead"),
  JOB_RETRY_DELAY_S: int(1, 3600).default(5).describe("first retry delay of a failed job (email); doubles per retry, jittered"),
  WORKER_METRICS_PORT: int(1, 65_535).optional().describe("`pnpm worker` serves its `/metrics` (job runs, process) on this port, behind `METRICS_TOKEN`"),
  JOB_SUPERVISE_INTERVAL_S: int(1, 3600).default(60).describe("how often pg-boss (in every process) retries jobs whose worker died (missed heartbeats) and runs its maintenance"),

  WEBHOOK_RETRY_SCHEDULE: list.pipe(z.array(z.string().regex(/^\d{1,5}$/, "each step is whole seconds").transform(Number).pipe(z.number().int().max(86_400))).min(1).max(20)).optional().describe("seconds before each retry of a failed webhook delivery, comma-separated, each ±10 % jitter; after the last the delivery is dead (ADR 071); default `5,300,1800,7200,18000,36000,36000`"),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false).describe("`true` lets webhooks reach private/loopback addresses and any port (development, tests); refused in production (ADR 072)"),
  WEBHOOK_DELIVERY_RETENTION_DAYS: int(1, 3650).default(30).describe("finished deliveries, published outbox events and incoming receipts older than this are pruned hourly"),
  WEBHOOK_CONCURRENCY: int(1, 200).default(10).describe("delivery attempts at once per worker process"),
  WEBHOOK_ENDPOINT_CONCURRENCY: int(1, 50).default(2).describe("delivery attempts at once per endpoint, across all processes"),
  WEBHOOK_DISPATCH_INTERVAL_MS: int(50, 60_000).default(1000).describe("how often a worker process polls the outbox when it is empty"),

  PREFERENCES_CACHE_TTL_MS: int(0, 3_600_000).default(60_000).describe("lifetime of the in-process preferences cache (an update evicts on every instance at once)"),
  PREFERENCES_CACHE_MAX: int(1, 1_000_000).default(10_000).describe("preferences cache entries kept (least recently used go first)"),

  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(100 * 1024).describe("larger request bodies get 413"),
  TRPC_MAX_BATCH: int(1, 100).default(10).describe("most calls in one batched request"),
  HEAP_GROWING_PERCENT: int(0, 400).default(50).describe("how far V8 lets the heap grow past its live size before the next full collection (`--heap-growing-percent`): 50 keeps it near 1.5× live for ~0.5 % more CPU; `0` leaves V8's own factor (up to 4×: hundreds of MB more under load)"),
  HTTP_MAX_IN_FLIGHT: int(1, 100_000).default(128).describe("API calls (`/trpc`, `/api/v1`) served at once per instance; the rest wait in arrival order, holding only their socket (ADR 052; subscriptions are not counted)"),
  HTTP_MAX_QUEUED: int(0, 1_000_000).default(10_000).describe("API calls that may wait for a slot; one more is answered 503 `server_busy` at once"),
  HTTP_QUEUE_TIMEOUT_MS: int(10, 120_000).default(10_000).describe("a call that waited this long for a slot is answered 503 `server_busy` (Retry-After: 1)"),
  METRICS_TOKEN: z.string().min(16).optional().describe("≥ 16 characters: `/metrics` then requires `Authorization: Bearer <token>` (ADR 040)"),
  DEV_MAILBOX_KEY: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, 'must be 16–200 characters of [A-Za-z0-9_-]').optional().describe("development: the key `/dev/mailbox` asks for (default: random per process; the link is printed at start, `pnpm dev` keeps one across reloads)"),
  SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000).describe("how long SIGTERM waits for in-flight requests (and running jobs) before closing"),
  SHUTDOWN_DELAY_MS: int(0, 60_000).default(0).describe("behind a load balancer: on SIGTERM, `/readyz` answers 503 this long while requests are still served, so the balancer's checks take the instance out before it stops accepting (at least fall × check interval; `pnpm cluster` sets it)"),
  WEB_DIST_DIR: z.string().optional().describe("the built web app to serve (default `apps/web/dist`)"),

  RATE_LIMIT_STORE: z.enum(['postgres', 'redis', 'memory']).optional().describe("where rate-limit counters live: `postgres` (default; shared table), `redis` (default with `REDIS_URL`), `memory` (one process only)"),
  RATE_LIMITS: rateLimitOverrides.default([]).describe("overrides of the policy table: `<policy>=<points>/<seconds>,…`; `*` = every policy (e.g. `apikey.default=600/60`)"),
  RATE_LIMIT_POOL_MAX: int(1, 50).default(4).describe("connections of the rate-limit counters' own pool (Postgres store; one statement per call)"),

  AI_PROVIDER: z.enum(['local', 'openai']).default('local').describe("`local` (built-in offline demo, no network) or `openai` (any OpenAI-compatible chat-completions API)"),
  AI_BASE_URL: z.url({ protocol: /^https?$/ }).optional().describe("with `openai`: the API base, e.g. `https://gateway.example/api/v1`"),
  AI_API_KEY: z.string().min(8).optional().describe("with `openai`: the upstream key"),
  AI_MODELS: list.pipe(z.array(z.string().max(100).regex(/^[a-zA-Z0-9/\-_:.]+$/, 'model ids are [a-zA-Z0-9/-_:.]')).min(1)).optional().describe("with `openai`: allow-listed model ids, comma-separated; the first is the default"),
  AI_TIMEOUT_MS: int(100, 300_000).default(30_000).describe("upstream timeout per attempt"),
  AI_MAX_RETRIES: int(0, 5).default(2).describe("retries on 429, 5xx and connection failures, with backoff and jitter"),
  AI_RETRY_BASE_MS: int(1, 10_000).default(250).describe("backoff base of those retries"),
  AI_BREAKER_THRESHOLD: int(1, 100).default(5).describe("consecutive failed calls that open the circuit breaker"),
  AI_BREAKER_COOLDOWN_MS: int(100, 600_000).default(30_000).describe("how long the open breaker refuses calls before a trial call"),
  AI_REQUESTS_PER_MINUTE: int(1, 10_000).optional().describe("assistant calls per user per minute (the `assistant.expensive` policy, default 10)"),
  AI_DAILY_TOKEN_BUDGET: int(1, 100_000_000).default(50_000).describe("tokens per user and UTC day, reserved before each call"),
  AI_DEFAULT_MAX_TOKENS: int(1, 4000).default(1000).describe("completion cap when a request sets no `maxTokens`"),

  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional().describe("OpenTelemetry tracing on: the collector's OTLP/HTTP base URL, e.g. `http://otel-collector:4318` (`/v1/traces` is appended); unset: off, the SDK is not loaded (ADR 110)"),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).default('bastion').describe("`service.name` of the spans"),
  OTEL_TRACES_SAMPLER: z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).default('parentbased_always_on').describe("the sampler: `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off` or `parentbased_traceidratio`"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1).describe("the traceidratio samplers' ratio, 0–1"),

  AUDIT_CHECKPOINT_KEY: key256.optional().describe("base64, ≥ 256 bits: signs the audit log's pruning checkpoints and keys the pseudonyms erasure writes (ADR 081); do not rotate casually; development: a built-in key"),
  ACCOUNT_DELETION_GRACE_S: int(0, 365 * 86_400).default(7 * 86_400).describe("how long after `account.delete` the account is erased; signing in and cancelling work meanwhile (7 days)"),
  RETENTION: retentionOverrides.default([]).describe("`<class>=<n><s|m|h|d>` or `<class>=off`, comma-separated: overrides the retention table (`config/retention-policies.ts`)"),

  GOOGLE_ISSUER: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com').describe("the OpenID Connect issuer, discovered at start (ADR 100); enabled only with `GOOGLE_CLIENT_ID` and `GOOGLE_CLIENT_SECRET`"),
  GOOGLE_CLIENT_ID: z.string().min(1).max(500).optional().describe("the OAuth client id of the Google sign-in (its redirect URI is `<APP_ORIGIN>/auth/oauth/google/callback`)"),
  GOOGLE_CLIENT_SECRET: z.string().min(1).max(500).optional().describe("the OAuth client secret of the Google sign-in"),
  PROVIDER_REFRESH_INTERVAL_S: int(60, 86_400)
    .refine((v) => v % 60 === 0 && (v < 3600 ? 3600 % v === 0 : v % 3600 === 0 && 86_400 % v === 0), 'must divide an hour into whole minutes or a day into whole hours (a cron schedule)')
    .default(6 * 3600)
    .describe("how often the connected-accounts job refreshes provider tokens expiring within 24 h (6 h); whole minutes dividing an hour, or whole hours dividing a day"),
});

export type Env = z.infer<typeof envSchema>;
export type EnvVariable = keyof typeof envSchema.shape;

/**
 * The configuration docs (README's table, `.env.example`) are generated from the schema above by
 * `pnpm docs:config`: a new variable needs only its `.describe()`. These say where each section
 * of the docs starts (schema order) and which variables production requires (tested against parseEnv).
 */
export const ENV_SECTIONS: readonly (readonly [title: string, firstVariable: EnvVariable])[] = [
  ['runtime', 'NODE_ENV'],
  ['database', 'DATABASE_URL'],
  ['auth', 'JWT_SECRETS'],
  ['Redis, mail and background jobs', 'REDIS_URL'],
  ['webhooks', 'WEBHOOK_RETRY_SCHEDULE'],
  ['caches', 'PREFERENCES_CACHE_TTL_MS'],
  ['HTTP and operations', 'BODY_LIMIT_BYTES'],
  ['rate limits', 'RATE_LIMIT_STORE'],
  ['AI assistant', 'AI_PROVIDER'],
  ['tracing', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  ['sign in with Google', 'GOOGLE_ISSUER'],
  ['audit and privacy', 'AUDIT_CHECKPOINT_KEY'],
];
export const REQUIRED_IN_PRODUCTION: readonly EnvVariable[] = ['APP_ORIGIN', 'JWT_SECRETS', 'REFRESH_TOKEN_SECRET', 'ENCRYPTION_KEYS', 'SMTP_URL', 'METRICS_TOKEN', 'AUDIT_CHECKPOINT_KEY'];

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
