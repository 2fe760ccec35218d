import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { assistantRouter } from './features/assistant/router.ts';
import { adminRouter } from './features/admin/router.ts';
import { authRouter } from './features/auth/router.ts';
import { devRouter } from './features/mail/router.ts';
import { healthRouter } from './features/health/router.ts';
import { createCallerFactory, router } from './trpc.ts';

export const appRouter = router({
  assistant: assistantRouter,
  admin: adminRouter,
  auth: authRouter,
  dev: devRouter,
  health: healthRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);
