import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { cookieJar, hasCookie } from '../src/cookies.ts';

const request = (cookie: string | undefined) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as Request;
const response = {} as Response;

describe('cookie parsing', () => {
  it('keeps the first value of a repeated name, as browsers send the most specific first', () => {
    const jar = cookieJar(request('__Host-a=first; other=x; __Host-a=second'), response);
    expect(jar.get('__Host-a')).toBe('first');
    expect(jar.get('other')).toBe('x');
  });

  it('decodes values, keeps a malformed one as sent, and tolerates a missing header', () => {
    expect(cookieJar(request('a=hello%20world; b=%E0%A4%A'), response).get('a')).toBe('hello world');
    expect(cookieJar(request('b=%E0%A4%A'), response).get('b')).toBe('%E0%A4%A');
    expect(cookieJar(request(undefined), response).get('a')).toBeUndefined();
    expect(hasCookie(request('x=1; y=2'), ['z', 'y'])).toBe(true);
    expect(hasCookie(request('x=1'), ['z'])).toBe(false);
  });
});
