import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, parseRetryAfter } from '../src/util.js';

describe('backoff', () => {
  const policy = { attempts: 5, baseMs: 100, maxMs: 1000 };

  it('grows exponentially up to the cap, with full jitter inside [0, ceiling]', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffCeiling(a, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
    for (let attempt = 1; attempt < 12; attempt++) {
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, policy);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(backoffCeiling(attempt, policy));
      }
    }
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
    expect(backoffDelay(4, policy, () => 0.999999)).toBe(799);
    const spread = new Set(Array.from({ length: 30 }, () => backoffDelay(4, policy)));
    expect(spread.size).toBeGreaterThan(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
