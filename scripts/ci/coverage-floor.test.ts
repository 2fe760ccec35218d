import { describe, expect, it } from 'vitest';
import { belowFloor, loweredFrom, parseFloor, raisedFloor, type CoverageSummary } from './coverage-floor.ts';

const summary = (pct: number, branches: number): CoverageSummary => ({ total: { statements: { pct }, branches: { pct: branches }, functions: { pct }, lines: { pct } } });
const floor = { statements: 70, branches: 60, functions: 70, lines: 70 };

describe('the coverage floor', () => {
  it('fails each metric measured below it', () => {
    expect(belowFloor(summary(70, 60), floor)).toEqual([]);
    expect(belowFloor(summary(69.9, 59.9), floor)).toEqual(['statements: 69.9 % < floor 70 %', 'branches: 59.9 % < floor 60 %', 'functions: 69.9 % < floor 70 %', 'lines: 69.9 % < floor 70 %']);
  });

  it('rises to what was measured, rounded down, and never falls', () => {
    expect(raisedFloor(summary(75.47, 65.47), floor)).toEqual({ statements: 75.4, branches: 65.4, functions: 75.4, lines: 75.4 });
    expect(raisedFloor(summary(50, 40), floor)).toEqual(floor);
  });

  it('refuses a floor lower than the one before', () => {
    expect(loweredFrom(floor, { ...floor, lines: 69 })).toEqual(['lines: floor lowered from 70 % to 69 %']);
    expect(loweredFrom(floor, { ...floor, lines: 71 })).toEqual([]);
  });

  it('needs every metric', () => {
    expect(() => parseFloor('{"statements": 1, "branches": 1, "functions": 1}')).toThrow(/lines/);
  });
});
