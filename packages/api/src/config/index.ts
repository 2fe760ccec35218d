import { DEV_JWT_SECRETS, DEV_REFRESH_TOKEN_SECRET, envSchema, parseEnv } from './env.ts';

export { ConfigError, SECRET_VARIABLES } from './env.ts';

export interface JwtKey {
  kid: string;
  secret: Buffer;
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
    shutdownTimeoutMs: number;
    webDistDir: string | undefined;
  };
  log: { level: string };
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
  };
  metrics: { token: string | undefined };
  /** Read-through cache of user preferences; other instances' updates evict via the bus. */
  preferencesCache: { ttlMs: number; maxEntries: number };
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
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      webDistDir: env.WEB_DIST_DIR,
    },
    log: { level: env.LOG_LEVEL },
    db: {
      url: env.DATABASE_URL,
      poolMax: env.DB_POOL_MAX,
      idleTimeoutSeconds: env.DB_IDLE_TIMEOUT_S,
      maxLifetimeSeconds: env.DB_MAX_LIFETIME_S,
      connectTimeoutSeconds: env.DB_CONNECT_TIMEOUT_S,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: env.DB_POOL_ACQUIRE_TIMEOUT_MS,
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
    },
    metrics: { token: env.METRICS_TOKEN },
    preferencesCache: { ttlMs: env.PREFERENCES_CACHE_TTL_MS, maxEntries: env.PREFERENCES_CACHE_MAX },
  };
}
