import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { apiKeysRouter } from './features/api-keys/router.ts';
import { accountRouter } from './features/privacy/router.ts';
import { assistantRouter } from './features/assistant/router.ts';
import { adminRouter } from './features/admin/router.ts';
import { authRouter } from './features/auth/router.ts';
import { devRouter } from './features/mail/router.ts';
import { contactsRouter } from './features/contacts/router.ts';
import { healthRouter } from './features/health/router.ts';
import { preferencesRouter } from './features/preferences/router.ts';
import { webhooksRouter } from './features/webhooks/router.ts';
import { connectedAccountsRouter } from './features/oidc/router.ts';
import { createCallerFactory, router } from './trpc.ts';

export const appRouter = router({
  apiKeys: apiKeysRouter,
  account: accountRouter,
  assistant: assistantRouter,
  admin: adminRouter,
  auth: authRouter,
  connectedAccounts: connectedAccountsRouter,
  dev: devRouter,
  contacts: contactsRouter,
  health: healthRouter,
  preferences: preferencesRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);
