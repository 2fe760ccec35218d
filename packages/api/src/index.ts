export { appRouter, createCaller, type AppRouter, type RouterInputs, type RouterOutputs } from './root.ts';
export { createContextInner, noCookies, type AppDeps, type Context, type CookieJar, type CookieOptions, type RequestInfo } from './context.ts';
export { loadConfig, ConfigError, type AppConfig } from './config/index.ts';
export { createLogger, type Logger } from './logging.ts';
export { toTRPCError } from './errors/to-trpc-error.ts';
export { AppError } from './errors/app-error.ts';
export type { ErrorShape, ErrorData } from './errors/error-formatter.ts';
export { SessionCache } from './features/auth/session-cache.ts';
export { cookieNames } from './features/auth/token-cookies.ts';
