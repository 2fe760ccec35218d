import { initTRPC } from '@trpc/server';
import type { Context } from './context.ts';
import { formatError } from './errors/error-formatter.ts';
import { toTRPCError } from './errors/to-trpc-error.ts';
import { currentRequestId } from './request-scope.ts';
import { authenticate, requireRole, requireVerifiedEmail } from './features/auth/guards.ts';

export interface Meta {
  /** Shown in docs and checked by tests: who may call the procedure. */
  access?: 'public' | 'authed' | 'admin';
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    isDev: process.env.NODE_ENV === 'development',
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

export const publicProcedure = t.procedure.use(sanitizeErrors).meta({ access: 'public' });

export const authedProcedure = publicProcedure
  .meta({ access: 'authed' })
  .use(async ({ ctx, next }) => next({ ctx: { auth: await authenticate(ctx) } }));

/** For sensitive actions: the caller's email address must be verified (FORBIDDEN `email_not_verified`). */
export const verifiedProcedure = authedProcedure.use(async ({ ctx, next }) => {
  await requireVerifiedEmail(ctx, ctx.auth.userId);
  return next({ ctx });
});

export const adminProcedure = authedProcedure
  .meta({ access: 'admin' })
  .use(async ({ ctx, next }) => {
    requireRole(ctx.auth, 'admin');
    return next({ ctx });
  });
