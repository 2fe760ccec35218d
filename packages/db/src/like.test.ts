import { describe, expect, it } from 'vitest';
import { containsPattern, escapeLike } from './like.ts';

describe('escapeLike', () => {
  it.each([
    ['plain', 'plain'],
    ['100%', '100\\%'],
    ['a_b', 'a\\_b'],
    ['back\\slash', 'back\\\\slash'],
    ['\\%_', '\\\\\\%\\_'],
    ["' OR 1=1 --", "' OR 1=1 --"],
    ['', ''],
    ['🦄_%', '🦄\\_\\%'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });

  it('escapes the backslash first, so an escape is never itself escaped away', () => {
    // Unescaping (drop each escaping backslash) must give back the input exactly.
    for (const input of ['\\', '\\\\%', '%\\_', 'x\\y%z_']) {
      expect(escapeLike(input).replace(/\\(.)/g, '$1')).toBe(input);
    }
  });

  it('wraps in wildcards for substring search', () => {
    expect(containsPattern('50%')).toBe('%50\\%%');
  });
});
