export * from './users.ts';
export * from './sessions.ts';
export * from './security-events.ts';
export * from './contacts.ts';
export * from './preferences.ts';
