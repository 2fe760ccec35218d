import { describe, expect, it } from 'vitest';
import { challengeFromHash, oauthErrorMessage } from './oauth-errors.ts';

describe('oauthErrorMessage', () => {
  it('explains the known reasons, and never echoes an unknown one', () => {
    expect(oauthErrorMessage('account_exists')).toMatch(/sign in with your password/i);
    expect(oauthErrorMessage('<script>alert(1)</script>')).toBe('Sign-in with Google did not work. Try again, or sign in with your password.');
    expect(oauthErrorMessage('toString')).not.toContain('function');
    expect(oauthErrorMessage(null)).toBeNull();
  });
});

describe('challengeFromHash', () => {
  it('reads a challenge id from the fragment only when well-formed', () => {
    expect(challengeFromHash('#challenge=0b7e6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b')).toBe('0b7e6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(challengeFromHash('#challenge=nope')).toBeNull();
    expect(challengeFromHash('')).toBeNull();
  });
});
