import { initTRPC } from '@trpc/server';
import type { Context } from './context.ts';
import { formatError } from './errors/error-formatter.ts';
import { toTRPCError } from './errors/to-trpc-error.ts';
import { currentRequestId } from './request-scope.ts';
import { setSpanUser, traceProcedure, tracingEnabled } from './lib/tracing/index.ts';
import { authenticate, requireScopes, requireVerifiedEmail, type AuthState } from './features/auth/guards.ts';
import { isPermission, requirePermission, type Permission } from './features/auth/permissions.ts';
import type { RateLimitPolicyName } from './config/rate-limit-policies.ts';
import { enforceRateLimits } from './lib/rate-limit/enforce.ts';
import { clientKey } from './lib/rate-limit/client-key.ts';
import { syncFirst } from './lib/sync-first.ts';
import type { Scope } from './features/api-keys/scopes.ts';
import type { OpenApiMeta } from 'trpc-to-openapi';

export interface Meta {
  /** Shown in docs and checked by tests: who may call the procedure. */
  access?: 'public' | 'authed' | 'verified' | 'admin';
  /** The procedure's rate-limit policy (config/rate-limit-policies.ts); every procedure names one. */
  rateLimit?: RateLimitPolicyName;
  /** The scopes an API key needs to call the procedure; none declared: keys are refused. */
  scopes?: readonly Scope[];
  /** Also served as REST under /api/v1 and described in /api/openapi.json (trpc-to-openapi). */
  openapi?: NonNullable<OpenApiMeta['openapi']>;
  /** Admin procedures: the permission the caller's role needs (features/auth/permissions.ts); procedures.test.ts requires one. */
  permission?: Permission;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // The router is built at import, before any config exists; what a client may see is decided
    // per request from the validated config (ctx.config) by the formatter, never from process.env.
    // isDev would only add the stack to the default shape, which the formatter adds itself.
    isDev: false,
    errorFormatter: ({ shape, error, ctx }) =>
      formatError(
        { shape, error },
        { requestId: ctx?.request.requestId ?? currentRequestId(), exposeInternals: ctx?.config.env === 'development' },
      ),
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/**
 * Every procedure's errors leave through toTRPCError, so no database detail reaches a client. With
 * tracing on (ADR 110) the call runs in its own span, whose outcome is the mapped error's code.
 */
const sanitizeErrors = t.middleware(({ next, path, type, ctx }) =>
  tracingEnabled() ? traceProcedure({ path, type, requestId: ctx.request.requestId }, () => sanitized(next())) : sanitized(next()),
);

async function sanitized<R extends { ok: true } | { ok: false; error: unknown }>(call: Promise<R>): Promise<R> {
  const result = await call;
  if (result.ok) return result;
  const error = toTRPCError(result.error);
  return error === result.error ? result : { ...result, error };
}

/** The builder, and every builder derived from it, hands its input and output schemas to syncFirst (lib/sync-first.ts). */
function validatingSynchronously<B extends object>(builder: B): B {
  return new Proxy(builder, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'input' || property === 'output') return (parser: unknown) => validatingSynchronously(value.call(target, syncFirst(parser)) as object);
      if (property === 'use' || property === 'meta' || property === 'concat' || property === 'unstable_concat') {
        return (...args: unknown[]) => validatingSynchronously(value.apply(target, args) as object);
      }
      return value;
    },
  });
}

const base = validatingSynchronously(t.procedure.use(sanitizeErrors));

/**
 * Every call counts against `global` (per client address) and its own policy (`meta.rateLimit`)
 * in one store round trip, after authentication so that per-user policies key on the user. A
 * procedure without a policy is refused (and fails procedures.test.ts long before that).
 */
const procedurePolicy = t.middleware(async ({ ctx, meta, next }) => {
  const name = meta?.rateLimit;
  if (!name) throw new Error('procedure has no rate-limit policy');
  const policy = ctx.config.rateLimit.policies[name];
  const auth = (ctx as { auth?: AuthState }).auth;
  const userId = auth?.userId;
  if (policy.key === 'subject' || policy.key === 'apiKey') throw new Error(`${policy.key} rate-limit policy ${name} named by a procedure`);
  if (policy.key === 'user' && !userId) throw new Error(`per-user rate-limit policy ${name} on a public procedure`);
  const client = clientKey(ctx.request.ip);
  // A key's calls also count against its own budget (`apikey.default`), in the same round trip.
  await enforceRateLimits(ctx, [
    { policy: 'global', key: client },
    ...(auth?.apiKey ? [{ policy: 'apikey.default' as const, key: `apikey:${auth.apiKey.id}` }] : []),
    { policy: name, key: policy.key === 'user' ? `user:${userId}` : client },
  ]);
  return next();
});

/** The calls of one batched request share its credentials: they are verified once. */
const authentications = new WeakMap<Context['request'], Promise<AuthState>>();
function authenticateOnce(ctx: Context): Promise<AuthState> {
  let authentication = authentications.get(ctx.request);
  if (!authentication) authentications.set(ctx.request, (authentication = authenticate(ctx)));
  return authentication;
}

/**
 * A call whose credentials fail still counts against `global`: bad tokens cannot flood for free.
 * An API key is held to the procedure's `meta.scopes` here, before anything else runs.
 */
const authenticated = base.use(async ({ ctx, meta, next }) => {
  let auth;
  try {
    auth = await authenticateOnce(ctx);
    if (tracingEnabled()) setSpanUser(auth.userId);
    await requireScopes(ctx, auth, meta?.scopes);
  } catch (error) {
    await enforceRateLimits(ctx, [{ policy: 'global', key: clientKey(ctx.request.ip) }]);
    throw error;
  }
  return next({ ctx: { auth } });
});

export const publicProcedure = base.meta({ access: 'public' }).use(procedurePolicy);

export const authedProcedure = authenticated.meta({ access: 'authed' }).use(procedurePolicy);

/** Signed in with a verified email address: for features that cost money or reach other people. */
export const verifiedProcedure = authenticated
  .meta({ access: 'verified' })
  .use(procedurePolicy)
  .use(async ({ ctx, next }) => {
    await requireVerifiedEmail(ctx, ctx.auth.userId);
    return next();
  });

/**
 * Staff procedures (support and admin roles): each names its permission in `meta.permission`, checked
 * against the role of the live session; one without a permission is refused to everybody.
 */
export const adminProcedure = authenticated
  .meta({ access: 'admin' })
  .use(procedurePolicy)
  .use(async ({ ctx, meta, next }) => {
    const permission = meta?.permission;
    if (!isPermission(permission)) throw new Error('admin procedure without meta.permission');
    requirePermission(ctx.auth, permission);
    return next();
  });
