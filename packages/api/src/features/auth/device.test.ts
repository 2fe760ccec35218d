import { describe, expect, it } from 'vitest';
import { describeDevice } from './device.ts';

describe('describeDevice', () => {
  it('names the browser and system of common agents', () => {
    expect(describeDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36')).toBe('Chrome 120 on Linux');
    expect(
      describeDevice('Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1'),
    ).toBe('Safari 17 on iOS 17.1 (mobile)');
  });

  it('falls back for missing or unknown agents', () => {
    expect(describeDevice(null)).toBe('Unknown device');
    expect(describeDevice('curl-ish/0')).toBe('Unknown device');
  });
});
