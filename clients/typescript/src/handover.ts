/**
 * Whose data a till holds. Tills are shared by cashiers and moved between branches: the data
 * belongs to one scope (client, and branch unless a super admin synced the whole client). A
 * login of the same scope keeps it; a login of another scope wipes it first, and a wipe never
 * drops edits not pushed yet (`PendingEditsError`: nothing changes).
 */
import { copyTables } from './copies.js';
import { META, type PossyncDB } from './db.js';
import { PendingEditsError } from './errors.js';
import { reconcileTables } from './reconcile.js';
import type { UserInfo } from './types.js';

/** The scope a user's token syncs: `client:branch`, or `client:*` for a super admin. */
export const scopeOf = (user: UserInfo): string => `${user.client_id}:${user.role === 'super_admin' ? '*' : user.branch_id}`;

/**
 * Makes the device's data `user`'s before a login is kept: another scope's data is wiped
 * (refused while edits are queued). Returns whether it wiped.
 */
export async function takeOver(db: PossyncDB, user: UserInfo | undefined): Promise<boolean> {
  if (!user) return false;
  const scope = scopeOf(user);
  return db.transaction('rw', [...wipedTables(db), db.outbox], async () => {
    const held = (await db.meta.get(META.scope))?.value;
    const known = typeof held === 'string' ? held : undefined;
    if (known === scope) return false;
    // A device of before scopes were kept holds its last session's data.
    const earlier = (await db.meta.get(META.session))?.value as { user?: UserInfo } | undefined;
    const holder = known ?? (earlier?.user ? scopeOf(earlier.user) : undefined);
    const wipe = holder !== undefined && holder !== scope;
    if (wipe) await wipeData(db);
    await db.meta.put({ key: META.scope, value: scope });
    return wipe;
  });
}

/**
 * Forgets the device's data (copies, refused edits, conflicts, acknowledged edits, cursor,
 * first sync): only when no edit is queued, else throws `PendingEditsError` and changes
 * nothing.
 */
export async function wipeData(db: PossyncDB): Promise<void> {
  await db.transaction('rw', [...wipedTables(db), db.outbox], async () => {
    const pending = await db.outbox.count();
    if (pending > 0) throw new PendingEditsError(pending);
    await Promise.all(wipedTables(db).filter((t) => t !== db.meta).map((t) => t.clear()));
    const generation = Number((await db.meta.get(META.packs))?.value ?? 0) + 1;
    await db.meta.bulkDelete([META.cursor, META.firstSyncDone, META.lastSyncAt, META.scope, META.replacing]);
    await db.meta.put({ key: META.packs, value: generation }); // other tabs read the packs again
  });
}

// The acknowledged edits too: another scope's server must never get them again.
const wipedTables = (db: PossyncDB) => [...copyTables(db), db.rejected, db.conflicts, db.sentIncrements, ...reconcileTables(db)];
