/** Small helpers shared by the client's parts (no Node-only code: this runs in browsers). */

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Tries in all (1 = no retry). */
  attempts: number;
  /** First ceiling of the random wait, doubled at every attempt. */
  baseMs: number;
  /** Highest ceiling. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 250, maxMs: 30_000 };

/** The ceiling of the wait before retry `attempt` (1-based): `base · 2^(attempt-1)`, capped. */
export function backoffCeiling(attempt: number, policy: RetryPolicy): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}

/**
 * Exponential backoff with "full jitter": a random wait between 0 and the ceiling, so that
 * many devices coming back at once do not retry in lock-step.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return Math.floor(backoffCeiling(attempt, policy) * random());
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent/bad. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

type Listener<T> = (value: T) => void;

/** A minimal typed event emitter. */
export class Emitter<Events extends Record<string, unknown>> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<Events[K]>)(value);
      } catch (err) {
        console.error('possync: listener failed', err);
      }
    }
  }
}

/** A lock for one process: callers run one at a time, in the order they asked. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  // `randomUUID` needs a secure context (a till on plain http in the shop's LAN has none);
  // `getRandomValues` does not. The server applies an edit id's increments once, so ids
  // must never repeat: never `Math.random`.
  if (!c?.getRandomValues) throw new Error('possync: this runtime has no crypto.getRandomValues for edit ids');
  const bytes = c.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `navigator`, when there is one (browsers, Electron renderers). */
export function nav(): (Navigator & { locks?: LockManager }) | undefined {
  return (globalThis as { navigator?: Navigator }).navigator;
}
