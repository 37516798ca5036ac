import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffCeiling, backoffDelay, parseRetryAfter, randomId } from '../src/util.js';

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

describe('edit ids', () => {
  afterEach(() => vi.unstubAllGlobals());
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('are random UUIDs without randomUUID (plain http): from getRandomValues, never Math.random', () => {
    const { getRandomValues } = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: getRandomValues.bind(globalThis.crypto) });
    const random = vi.spyOn(Math, 'random');
    const ids = Array.from({ length: 1_000 }, randomId);
    expect(ids.every((id) => uuid.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(1_000);
    expect(random).not.toHaveBeenCalled();
  });

  it('refuse to be made without a random source', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => randomId()).toThrow(/getRandomValues/);
  });
});
