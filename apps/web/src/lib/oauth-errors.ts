/**
 * What the sign-in page says for `/sign-in?error=<reason>` after a provider sign-in failed. The
 * reasons are the server's stable ones (features/oidc/callback.ts); an unknown one gets the
 * generic text, so nothing from the URL is ever shown as is.
 */
const MESSAGES: Record<string, string> = {
  account_exists:
    'An account with this email address already exists. Sign in with your password, then connect Google from Account → Connected accounts.',
  email_not_verified: 'Google has not verified this email address, so no account was created. Verify it with Google, or sign up with a password.',
  email_missing: 'Google did not share an email address, so we could not sign you in.',
  access_denied: 'Sign-in with Google was cancelled.',
  account_disabled: 'This account is disabled. Contact support.',
  already_linked: 'This Google account is already connected to another Bastion account.',
  provider_already_linked: 'Your account already has a Google account connected. Disconnect it first to connect another.',
  state_expired: 'The sign-in took too long. Try again.',
  state_used: 'This sign-in link was already used. Try again.',
  state_mismatch: 'The sign-in could not be matched to this browser. Try again from this page.',
  state_cookie_missing: 'The sign-in could not be matched to this browser (were cookies blocked?). Try again from this page.',
  missing_state: 'The sign-in could not be completed. Try again.',
  rate_limited: 'Too many sign-in attempts. Wait a minute and try again.',
  provider_unavailable: 'Google is not reachable right now. Try again later or sign in with your password.',
  provider_not_configured: 'Sign-in with Google is not available.',
};

const GENERIC = 'Sign-in with Google did not work. Try again, or sign in with your password.';

export function oauthErrorMessage(reason: string | null): string | null {
  if (!reason) return null;
  return Object.hasOwn(MESSAGES, reason) ? MESSAGES[reason]! : GENERIC;
}

/** `/sign-in#challenge=<id>`: a provider sign-in whose second factor is still due. */
export function challengeFromHash(hash: string): string | null {
  const match = /^#challenge=([0-9a-f-]{36})$/.exec(hash);
  return match?.[1] ?? null;
}
