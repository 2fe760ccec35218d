import { initTRPC } from '@trpc/server';
import type { Context } from './context.ts';
import { formatError } from './errors/error-formatter.ts';
import { toTRPCError } from './errors/to-trpc-error.ts';
import { currentRequestId } from './request-scope.ts';
import { authenticate, requireRole, requireVerifiedEmail } from './features/auth/guards.ts';
import type { RateLimitPolicyName } from './config/rate-limit-policies.ts';
import { enforceRateLimit } from './lib/rate-limit/enforce.ts';
import { clientKey } from './lib/rate-limit/client-key.ts';

export interface Meta {
  /** Shown in docs and checked by tests: who may call the procedure. */
  access?: 'public' | 'authed' | 'verified' | 'admin';
  /** The procedure's rate-limit policy (config/rate-limit-policies.ts); every procedure names one. */
  rateLimit?: RateLimitPolicyName;
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

/** Every procedure's errors leave through toTRPCError, so no database detail reaches a client. */
const sanitizeErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const error = toTRPCError(result.error);
  return error === result.error ? result : { ...result, error };
});


/** Every call counts against the global per-IP policy before anything else runs. */
const base = t.procedure.use(sanitizeErrors).use(async ({ ctx, next }) => {
  await enforceRateLimit(ctx, 'global', clientKey(ctx.request.ip));
  return next();
});

/**
 * The procedure's own policy (`meta.rateLimit`), counted after authentication so that per-user
 * policies can key on the user. A procedure without a policy is refused (and fails
 * procedures.test.ts long before that).
 */
const procedurePolicy = t.middleware(async ({ ctx, meta, next }) => {
  const name = meta?.rateLimit;
  if (!name) throw new Error('procedure has no rate-limit policy');
  const policy = ctx.config.rateLimit.policies[name];
  const userId = (ctx as { auth?: { userId: string } }).auth?.userId;
  if (policy.key === 'user' && !userId) throw new Error(`per-user rate-limit policy ${name} on a public procedure`);
  await enforceRateLimit(ctx, name, policy.key === 'user' ? `user:${userId}` : clientKey(ctx.request.ip));
  return next();
});

const authenticated = base.use(async ({ ctx, next }) => next({ ctx: { auth: await authenticate(ctx) } }));

export const publicProcedure = base.meta({ access: 'public' }).use(procedurePolicy);

export const authedProcedure = authenticated.meta({ access: 'authed' }).use(procedurePolicy);

/** Signed in with a verified email address: for features that cost money or reach other people. */
export const verifiedProcedure = authenticated
  .meta({ access: 'verified' })
  .use(async ({ ctx, next }) => {
    await requireVerifiedEmail(ctx, ctx.auth.userId);
    return next();
  })
  .use(procedurePolicy);

export const adminProcedure = authenticated
  .meta({ access: 'admin' })
  .use(async ({ ctx, next }) => {
    requireRole(ctx.auth, 'admin');
    return next();
  })
  .use(procedurePolicy);
