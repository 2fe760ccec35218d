export * from './users.ts';
export * from './sessions.ts';
export * from './security-events.ts';
export * from './auth-throttle.ts';
export * from './mail-outbox.ts';
export * from './user-tokens.ts';
export * from './two-factor.ts';
