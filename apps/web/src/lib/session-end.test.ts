import { describe, expect, it } from 'vitest';
import { safeReturnPath, signInUrl } from './session-end.ts';

describe('safeReturnPath', () => {
  it('keeps a path on this site with its query', () => {
    expect(safeReturnPath('/contacts?q=ada&sort=name')).toBe('/contacts?q=ada&sort=name');
  });

  it('refuses anything that could leave the site, and the sign-in page itself', () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)', '', null, undefined, '/sign-in?next=/x']) {
      expect(safeReturnPath(next)).toBeNull();
    }
  });
});

describe('signInUrl', () => {
  it('carries the reason and the page to come back to', () => {
    expect(signInUrl({ pathname: '/contacts', search: '?q=ada' }, 'signed_out')).toBe('/sign-in?reason=signed_out&next=%2Fcontacts%3Fq%3Dada');
  });

  it('leaves out a return to the landing page', () => {
    expect(signInUrl({ pathname: '/', search: '' })).toBe('/sign-in');
  });
});
