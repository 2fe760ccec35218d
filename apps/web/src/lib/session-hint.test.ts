import { describe, expect, it } from 'vitest';
import { hasSessionHint } from './session-hint.ts';

describe('hasSessionHint', () => {
  it('finds the hint in development and production (__Host-) form, among other cookies', () => {
    expect(hasSessionHint('bastion_session=1')).toBe(true);
    expect(hasSessionHint('__Host-bastion_session=1')).toBe(true);
    expect(hasSessionHint('theme=dark; __Host-bastion_session=1; lang=en')).toBe(true);
  });

  it('reads no hint from an empty jar or from other cookies', () => {
    expect(hasSessionHint('')).toBe(false);
    expect(hasSessionHint('theme=dark; lang=en')).toBe(false);
  });

  it('matches the name exactly, not a prefix, a suffix or a value', () => {
    expect(hasSessionHint('bastion_session_old=1')).toBe(false);
    expect(hasSessionHint('xbastion_session=1')).toBe(false);
    expect(hasSessionHint('note=bastion_session')).toBe(false);
  });
});
