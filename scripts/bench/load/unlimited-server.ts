/**
 * The production server without rate limiting: every call is allowed, nothing is counted and no
 * rate-limit header is set. Only the load benchmark starts it, as the comparator that prices the
 * limiter on the memory store (S5); the product has no switch that turns its limits off.
 */
import type { RateLimiters } from '@bastion/api';
import { exitOnSignal, loadConfigOrExit, startServer, tuneHeap } from '@bastion/server';

const unlimited: RateLimiters = {
  consume: () => Promise.resolve([]),
  peek: (policy) => Promise.resolve({ policy, allowed: true, limit: Number.MAX_SAFE_INTEGER, windowSeconds: 60, remaining: Number.MAX_SAFE_INTEGER, resetSeconds: 60 }),
  refusedFromMemory: () => null,
  ready: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const config = loadConfigOrExit();
tuneHeap(config); // as main.ts does
const server = await startServer({ config, rateLimiters: unlimited });
exitOnSignal(server.deps.logger, server.close);
