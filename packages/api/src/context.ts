import type { Database, Sql } from '@bastion/db';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from './config/index.ts';
import type { AssistantDeps } from './features/assistant/assistant-deps.ts';
import type { SessionCache } from './features/auth/session-cache.ts';
import type { ApiKeyStore } from './features/api-keys/verifier.ts';
import type { PreferencesStore } from './features/preferences/service.ts';
import type { InvalidationBus } from './lib/invalidation-bus.ts';
import type { RateLimiters } from './lib/rate-limit/rate-limiters.ts';
import type { JobQueue } from './lib/job-queue.ts';

/** Long-lived dependencies, built once per process. */
export interface AppDeps {
  config: AppConfig;
  db: Database;
  sql: Sql;
  logger: Logger;
  sessionCache: SessionCache;
  /** API keys by prefix (evicted across instances through `bus`) and their last-use recorder. */
  apiKeys: ApiKeyStore;
  /** Cached user preferences, evicted across instances through `bus`. */
  preferences: PreferencesStore;
  /** Cross-instance cache invalidation (LISTEN/NOTIFY). */
  bus: InvalidationBus;
  /** The process's Prometheus registry: features register their own metrics on it. */
  metrics: Registry;
  /** The rate-limit policies' counters (Postgres, Redis or memory store). */
  rateLimiters: RateLimiters;
  /** The assistant's provider (one breaker per process) and metrics. */
  assistant: AssistantDeps;
  /** Background jobs (pg-boss): email delivery and anything else that may be retried later. */
  jobs: JobQueue;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'strict' | 'lax';
  path: string;
}

/** How a procedure reads and writes cookies; a no-op jar serves `createCaller` in tests. */
export interface CookieJar {
  get(name: string): string | undefined;
  set(name: string, value: string, options: CookieOptions): void;
  clear(name: string, options: CookieOptions): void;
}

/** How a procedure sets response headers (rate-limit headers); the transport owns the response. */
export interface ResponseHeaders {
  set(name: string, value: string): void;
}

export interface RequestInfo {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** The raw `Authorization` header, if any. */
  authorization: string | null;
}

export interface CreateContextInnerOptions {
  deps: AppDeps;
  request: RequestInfo;
  cookies?: CookieJar;
  responseHeaders?: ResponseHeaders;
}

export const noCookies: CookieJar = { get: () => undefined, set: () => {}, clear: () => {} };
export const noResponseHeaders: ResponseHeaders = { set: () => {} };

/** The transport-free context: what every procedure sees. Tests build it without HTTP. */
export function createContextInner({ deps, request, cookies = noCookies, responseHeaders = noResponseHeaders }: CreateContextInnerOptions) {
  return {
    ...deps,
    request,
    cookies,
    responseHeaders,
    log: deps.logger.child({ requestId: request.requestId }),
  };
}

export type Context = ReturnType<typeof createContextInner>;
