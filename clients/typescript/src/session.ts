/** Where a device's session (its tokens) is kept: in memory, or in the till's IndexedDB, shared by its tabs. */
import { META, type PossyncDB } from './db.js';
import type { UserInfo } from './types.js';

/** The tokens of a logged-in device. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch, this device's clock). */
  expiresAt: number;
  /** Its lifetime in ms, as the server announced it. */
  lifetimeMs: number;
  user?: UserInfo;
}

/** Where the session is kept (the engine keeps it in IndexedDB, shared by the tabs). */
export interface SessionStore {
  load(): Promise<Session | null>;
  save(session: Session | null): Promise<void>;
}

/** The HTTP client's default: the session lives as long as the client. */
export function memorySessionStore(initial: Session | null = null): SessionStore {
  let session = initial;
  return {
    load: async () => session,
    save: async (s) => {
      session = s;
    },
  };
}

/** The session in the till's database, where every tab of the till finds it. */
export function databaseSessionStore(db: PossyncDB): SessionStore {
  return {
    load: async () => ((await db.meta.get(META.session))?.value as Session | undefined) ?? null,
    save: async (session) => {
      if (session) await db.meta.put({ key: META.session, value: session });
      else await db.meta.delete(META.session);
    },
  };
}
