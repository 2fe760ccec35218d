import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, loadConfig } from '../../config/index.ts';
import { retryDelaySeconds } from './schedule.ts';

const schedule = [...DEFAULT_RETRY_SCHEDULE];
const at = (random: number) => () => random;

describe('the retry schedule', () => {
  it("is Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then dead", () => {
    expect(schedule).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    const middle = schedule.map((_, index) => retryDelaySeconds({ schedule, failedAttempts: index + 1, retryAfterSeconds: null, random: at(0.5) }));
    expect(middle).toEqual(schedule);
    expect(retryDelaySeconds({ schedule, failedAttempts: 8, retryAfterSeconds: null })).toBeNull();
  });

  it('jitters each wait by ±10 %', () => {
    expect(retryDelaySeconds({ schedule, failedAttempts: 2, retryAfterSeconds: null, random: at(0) })).toBeCloseTo(270);
    expect(retryDelaySeconds({ schedule, failedAttempts: 2, retryAfterSeconds: null, random: at(0.999_999) })).toBeCloseTo(330);
  });

  it('honours a longer Retry-After up to the longest step, never a shorter one', () => {
    expect(retryDelaySeconds({ schedule, failedAttempts: 1, retryAfterSeconds: 120, random: at(0.5) })).toBe(120);
    expect(retryDelaySeconds({ schedule, failedAttempts: 2, retryAfterSeconds: 1, random: at(0.5) })).toBe(300);
    expect(retryDelaySeconds({ schedule, failedAttempts: 1, retryAfterSeconds: 10 * 86_400, random: at(0.5) })).toBe(36_000);
  });

  it('is replaced by WEBHOOK_RETRY_SCHEDULE', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1, 2,3' }).webhooks.retrySchedule).toEqual([1, 2, 3]);
    expect(loadConfig({}).webhooks.retrySchedule).toEqual(schedule);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });

  it('refuses WEBHOOK_ALLOW_PRIVATE in production and allows http only outside it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true' })).toThrow(/WEBHOOK_ALLOW_PRIVATE: refused in production/);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks.allowPrivate).toBe(true);
    expect(loadConfig({}).webhooks).toMatchObject({ allowPrivate: false, allowHttp: true, retentionDays: 30 });
  });
});
