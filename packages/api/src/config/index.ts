import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { developmentEncryptionKeys } from './dev-keys.ts';
import { resolveRateLimitPolicies, type RateLimitPolicies } from './rate-limit-policies.ts';
import { resolveRetentionPolicies, type RetentionPolicies } from './retention-policies.ts';
import { DEV_AUDIT_CHECKPOINT_KEY, DEV_ENCRYPTION_KEYS, DEV_JWT_SECRETS, DEV_REFRESH_TOKEN_SECRET, envSchema, parseEnv } from './env.ts';

export { ConfigError, SECRET_VARIABLES } from './env.ts';

/** Svix's schedule: seconds before each retry after the first attempt (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** The built-in local provider's one model: the default allow-list. */
export const LOCAL_MODEL = 'local/echo-1';

export interface JwtKey {
  kid: string;
  secret: Buffer;
}

export interface TracingConfig {
  /** The collector's OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  endpoint: string | undefined;
  serviceName: string;
  sampler: 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
  /** The ratio of the `traceidratio` samplers, 0–1. */
  samplerArg: number;
  /** Keys the user pseudonym on procedure spans (derived from AUDIT_CHECKPOINT_KEY). */
  userIdKey: Buffer;
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  isProduction: boolean;
  http: {
    host: string;
    port: number;
    appOrigin: string;
    corsOrigins: string[];
    trustProxy: boolean | number | string[];
    bodyLimitBytes: number;
    maxBatchSize: number;
    /** Admission control (ADR 052): calls served at once, calls waiting, and how long one may wait. */
    admission: { maxInFlight: number; maxQueued: number; queueTimeoutMs: number };
    shutdownTimeoutMs: number;
    /** On SIGTERM, how long readiness answers 503 while the server still serves, before it stops accepting. */
    shutdownDelayMs: number;
    webDistDir: string | undefined;
  };
  log: { level: string };
  /** Process-wide settings applied by the entry point (apps/server/src/main.ts). */
  runtime: { heapGrowingPercent: number };
  db: {
    /** Absent: the server starts an embedded PostgreSQL. */
    url: string | undefined;
    poolMax: number;
    idleTimeoutSeconds: number;
    maxLifetimeSeconds: number;
    connectTimeoutSeconds: number;
    statementTimeoutMs: number;
    /** A query waiting longer than this for a free connection fails with 503 instead of hanging. */
    acquireTimeoutMs: number;
    /** Statements in flight per connection while all are busy and young (pipelining); 1: none. */
    pipeline: number;
    embedded: { dataDir: string; port: number | undefined };
    migrateOnStart: boolean;
  };
  auth: {
    /** The first key signs; all keys verify (rotation). */
    jwtKeys: JwtKey[];
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    refreshTokenSecret: Buffer;
    refreshGraceSeconds: number;
    sessionIdleTimeoutSeconds: number;
    sessionAbsoluteTimeoutSeconds: number;
    /** Production: `Secure` cookies with the `__Host-` prefix. */
    secureCookies: boolean;
    lockout: {
      /** Consecutive failures of one account from one address before that pair is blocked. */
      threshold: number;
      durationSeconds: number;
      /** Failed sign-ins per address per day, across all accounts. */
      ipDailyCap: number;
      /** Failed sign-ins of one account from all addresses in a window before only known devices may sign in. */
      accountFailureCap: number;
      accountFailureWindowSeconds: number;
    };
  };
  metrics: { token: string | undefined; workerPort: number | undefined };
  rateLimit: {
    /** postgres (default, shared by every instance), redis when REDIS_URL is set, memory only if chosen. */
    store: 'postgres' | 'redis' | 'memory';
    redisUrl: string | undefined;
    /** Connections of the counters' own pool (Postgres store), so counting never starves queries. */
    poolMax: number;
    policies: RateLimitPolicies;
  };
  assistant: {
    /** `local`: the built-in deterministic demo provider (no network). */
    provider: 'local' | 'openai';
    baseUrl: string | undefined;
    apiKey: string | undefined;
    /** The allow-list; the first is the default. */
    models: string[];
    timeoutMs: number;
    maxRetries: number;
    retryBaseMs: number;
    breakerThreshold: number;
    breakerCooldownMs: number;
    dailyTokenBudget: number;
    defaultMaxTokens: number;
  };
  /** Set: cache invalidation (session revocation) goes over Redis pub/sub instead of LISTEN/NOTIFY. */
  redis: { url: string | undefined };
  /** AES-256-GCM key ring for secrets at rest (lib/crypto): the first key encrypts, all decrypt. */
  encryption: { keys: JwtKey[] };
  mail: {
    /** Absent (development, tests): messages go to the `mail_outbox` table, shown at /dev/mailbox. */
    smtpUrl: string | undefined;
    from: string;
    /**
     * Development: the key /dev/mailbox asks for (DEV_MAILBOX_KEY, else random per process), so that
     * another local page cannot read the mail. Tests and production: none (production has no mailbox).
     */
    devMailboxKey: string | undefined;
  };
  /** Whether this process also runs the background workers (`WORKERS=off`: a separate `pnpm worker`). */
  jobs: {
    workers: boolean;
    /** First retry delay of a failed job; each further retry doubles it (with jitter). */
    retryDelaySeconds: number;
    /** How often pg-boss expires jobs whose worker died (missed heartbeats) and runs its maintenance. */
    superviseIntervalSeconds: number;
  };
  webhooks: {
    /** Seconds before each retry after the first attempt (Svix's schedule unless WEBHOOK_RETRY_SCHEDULE). */
    retrySchedule: number[];
    /** Lifts the SSRF guard's address check (never in production). */
    allowPrivate: boolean;
    /** `http:` endpoints are accepted outside production only. */
    allowHttp: boolean;
    retentionDays: number;
    /** Delivery attempts running at once in one worker process, and per endpoint across all. */
    concurrency: number;
    endpointConcurrency: number;
    dispatchIntervalMs: number;
  };
  /** Read-through cache of user preferences; other instances' updates evict via the bus. */
  preferencesCache: { ttlMs: number; maxEntries: number };
  /** The audit log (ADR 080/081): the checkpoint key also keys the pseudonyms erasure writes. */
  audit: { checkpointKey: Buffer };
  /** OpenTelemetry tracing (ADR 110); `endpoint` unset: off, and nothing of the SDK is loaded. */
  tracing: TracingConfig;
  compliance: {
    /** account.delete: how long the account can still be restored before the erasure job runs. */
    deletionGraceSeconds: number;
    /** Seconds each data class is kept (null: no age limit): the policy table with `RETENTION` applied. */
    retention: RetentionPolicies;
  };
  /** OpenID Connect providers (only Google so far) and the schedule of their token refresh. */
  oidc: {
    /** Null: the provider is not configured, so it is not offered. */
    google: { issuer: string; clientId: string; clientSecret: string } | null;
    refreshIntervalSeconds: number;
  };
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const env = parseEnv(source);
  const isProduction = env.NODE_ENV === 'production';
  const jwtKeys = env.JWT_SECRETS ?? envSchema.shape.JWT_SECRETS.unwrap().parse(DEV_JWT_SECRETS);
  return {
    env: env.NODE_ENV,
    isProduction,
    http: {
      host: env.HOST,
      port: env.PORT,
      appOrigin: env.APP_ORIGIN ?? `http://localhost:${env.PORT}`,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      maxBatchSize: env.TRPC_MAX_BATCH,
      admission: { maxInFlight: env.HTTP_MAX_IN_FLIGHT, maxQueued: env.HTTP_MAX_QUEUED, queueTimeoutMs: env.HTTP_QUEUE_TIMEOUT_MS },
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
      webDistDir: env.WEB_DIST_DIR,
    },
    log: { level: env.LOG_LEVEL },
    runtime: { heapGrowingPercent: env.HEAP_GROWING_PERCENT },
    db: {
      url: env.DATABASE_URL,
      poolMax: env.DB_POOL_MAX,
      idleTimeoutSeconds: env.DB_IDLE_TIMEOUT_S,
      maxLifetimeSeconds: env.DB_MAX_LIFETIME_S,
      connectTimeoutSeconds: env.DB_CONNECT_TIMEOUT_S,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: env.DB_POOL_ACQUIRE_TIMEOUT_MS,
      pipeline: env.DB_POOL_PIPELINE,
      embedded: { dataDir: env.PG_DATA_DIR, port: env.PG_PORT },
      migrateOnStart: env.MIGRATE_ON_START,
    },
    auth: {
      jwtKeys,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_S,
      refreshTokenSecret: Buffer.from(env.REFRESH_TOKEN_SECRET ?? DEV_REFRESH_TOKEN_SECRET, 'base64'),
      refreshGraceSeconds: env.REFRESH_GRACE_S,
      sessionIdleTimeoutSeconds: env.SESSION_IDLE_TIMEOUT_S,
      sessionAbsoluteTimeoutSeconds: env.SESSION_ABSOLUTE_TIMEOUT_S,
      secureCookies: isProduction,
      lockout: {
        threshold: env.LOCKOUT_THRESHOLD,
        durationSeconds: env.LOCKOUT_DURATION_S,
        ipDailyCap: env.LOGIN_IP_DAILY_CAP,
        accountFailureCap: env.LOGIN_ACCOUNT_FAILURE_CAP,
        accountFailureWindowSeconds: env.LOGIN_ACCOUNT_FAILURE_WINDOW_S,
      },
    },
    metrics: { token: env.METRICS_TOKEN, workerPort: env.WORKER_METRICS_PORT },
    rateLimit: {
      store: env.RATE_LIMIT_STORE ?? (env.REDIS_URL ? 'redis' : 'postgres'),
      redisUrl: env.REDIS_URL,
      poolMax: env.RATE_LIMIT_POOL_MAX,
      policies: resolveRateLimitPolicies({ overrides: env.RATE_LIMITS, assistantRequestsPerMinute: env.AI_REQUESTS_PER_MINUTE }),
    },
    assistant: {
      provider: env.AI_PROVIDER,
      baseUrl: env.AI_BASE_URL,
      apiKey: env.AI_API_KEY,
      models: env.AI_MODELS ?? [LOCAL_MODEL],
      timeoutMs: env.AI_TIMEOUT_MS,
      maxRetries: env.AI_MAX_RETRIES,
      retryBaseMs: env.AI_RETRY_BASE_MS,
      breakerThreshold: env.AI_BREAKER_THRESHOLD,
      breakerCooldownMs: env.AI_BREAKER_COOLDOWN_MS,
      dailyTokenBudget: env.AI_DAILY_TOKEN_BUDGET,
      defaultMaxTokens: env.AI_DEFAULT_MAX_TOKENS,
    },
    redis: { url: env.REDIS_URL },
    encryption: {
      keys:
        env.ENCRYPTION_KEYS ??
        envSchema.shape.ENCRYPTION_KEYS.unwrap().parse(env.NODE_ENV === 'development' ? developmentEncryptionKeys(path.dirname(env.PG_DATA_DIR), DEV_ENCRYPTION_KEYS) : DEV_ENCRYPTION_KEYS),
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      devMailboxKey: env.NODE_ENV === 'development' ? (env.DEV_MAILBOX_KEY ?? randomBytes(18).toString('base64url')) : undefined,
    },
    jobs: { workers: env.WORKERS === 'on', retryDelaySeconds: env.JOB_RETRY_DELAY_S, superviseIntervalSeconds: env.JOB_SUPERVISE_INTERVAL_S },
    webhooks: {
      retrySchedule: env.WEBHOOK_RETRY_SCHEDULE ?? [...DEFAULT_RETRY_SCHEDULE],
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
      allowHttp: !isProduction,
      retentionDays: env.WEBHOOK_DELIVERY_RETENTION_DAYS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
      dispatchIntervalMs: env.WEBHOOK_DISPATCH_INTERVAL_MS,
    },
    preferencesCache: { ttlMs: env.PREFERENCES_CACHE_TTL_MS, maxEntries: env.PREFERENCES_CACHE_MAX },
    audit: { checkpointKey: Buffer.from(env.AUDIT_CHECKPOINT_KEY ?? DEV_AUDIT_CHECKPOINT_KEY, 'base64') },
    tracing: {
      endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: env.OTEL_SERVICE_NAME,
      sampler: env.OTEL_TRACES_SAMPLER,
      samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
      // Spans name users by a keyed hash: stable across instances, not reversible from a user id list.
      userIdKey: createHmac('sha256', Buffer.from(env.AUDIT_CHECKPOINT_KEY ?? DEV_AUDIT_CHECKPOINT_KEY, 'base64')).update('bastion:trace-user-id').digest(),
    },
    compliance: { deletionGraceSeconds: env.ACCOUNT_DELETION_GRACE_S, retention: resolveRetentionPolicies([{ dataClass: 'webhook_deliveries', seconds: env.WEBHOOK_DELIVERY_RETENTION_DAYS * 86_400 }, ...env.RETENTION]) },
    oidc: {
      google: env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET ? { issuer: env.GOOGLE_ISSUER, clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET } : null,
      refreshIntervalSeconds: env.PROVIDER_REFRESH_INTERVAL_S,
    },
  };
}
