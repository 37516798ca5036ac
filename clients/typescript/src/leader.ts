/**
 * One tab of a till syncs: the leader, chosen with the Web Locks API (`navigator.locks`),
 * or where it is missing with a lease kept in IndexedDB (renewed every second, taken over
 * once it is 5 s old).
 */
import { META, type PossyncDB } from './db.js';
import { nav, randomId } from './util.js';

export interface Leadership {
  isLeader(): boolean;
  stop(): void;
}

export interface LeaderOptions {
  /** Use the IndexedDB lease even where Web Locks exist (tests). */
  forceLease?: boolean;
  leaseMs?: number;
}

export function electLeader(
  name: string,
  db: PossyncDB,
  onChange: (leader: boolean) => void,
  options: LeaderOptions = {},
): Leadership {
  const locks = nav()?.locks;
  let leader = false;
  let stopped = false;
  const set = (value: boolean) => {
    if (value === leader || stopped) return;
    leader = value;
    onChange(value);
  };

  if (locks && !options.forceLease) {
    const abort = new AbortController();
    let release: () => void = () => {};
    locks
      .request(`possync:${name}`, { signal: abort.signal }, () => {
        if (stopped) return undefined;
        set(true);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .catch(() => undefined);
    return {
      isLeader: () => leader,
      stop() {
        if (leader) onChange(false);
        stopped = true;
        leader = false;
        abort.abort();
        release();
      },
    };
  }

  const id = randomId();
  const leaseMs = options.leaseMs ?? 5000;
  const tick = async () => {
    try {
      const mine = await db.transaction('rw', db.meta, async () => {
        const lease = (await db.meta.get(META.lease))?.value as { holder: string; until: number } | undefined;
        const now = Date.now();
        if (!lease || lease.holder === id || lease.until < now) {
          await db.meta.put({ key: META.lease, value: { holder: id, until: now + leaseMs } });
          return true;
        }
        return false;
      });
      set(mine);
    } catch {
      set(false);
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), Math.max(50, leaseMs / 5));
  return {
    isLeader: () => leader,
    stop() {
      clearInterval(timer);
      const was = leader;
      if (was) onChange(false);
      stopped = true;
      leader = false;
      if (was) {
        void db
          .transaction('rw', db.meta, async () => {
            const lease = (await db.meta.get(META.lease))?.value as { holder: string } | undefined;
            if (lease?.holder === id) await db.meta.delete(META.lease);
          })
          .catch(() => undefined);
      }
    },
  };
}
