/**
 * Every page of the web app, by path. The build writes this list to `routes.json` beside
 * index.html, so the production server answers any other path with 404 (the app's not-found
 * page, with a status that says so) instead of a soft 200.
 */
export const APP_PATHS = [
  '/',
  '/sign-up',
  '/sign-in',
  '/account',
  '/assistant',
  '/account/password',
  '/account/sessions',
  '/account/two-factor',
  '/account/security-log',
  '/account/api-keys',
  '/account/connected-accounts',
  '/verify-email',
  '/forgot-password',
  '/reset-password',
  '/dev/mailbox',
  '/contacts',
  '/account/privacy',
  '/admin/users',
  '/admin/audit',
  '/webhooks',
  '/settings/preferences',
  '/confirm-email-change',
  '/undo-email-change',
] as const;

export type AppPath = (typeof APP_PATHS)[number];
