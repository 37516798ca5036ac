/**
 * Proving the till's copy equals the server's: after a pull to the server's head, the copy's
 * checksum per table is compared with `GET /api/sync/checksums`, and a table that differs is
 * pulled whole and replaced. A table's checksum is the sum modulo 2^32 of every stored
 * record's (tombstones too) CRC-32 of `record_id:sync_version:is_deleted` (`0` or `1`), as
 * the server keeps it (`wire/src/checksums.rs`).
 */
import type { HttpClient } from './HttpClient.js';
import type { LocalStore } from './LocalStore.js';
import type { PullResponse, ChecksumsResponse } from './types.js';

/** A table's stored records and checksum. */
export interface TableSum {
  count: number;
  checksum: number;
}

/** What `SyncEngine.verify` found. */
export type Verified =
  /** Every table the till syncs equals the server's. */
  | { kind: 'equal'; tables: number }
  /** These tables differed and were replaced by the server's copy. */
  | { kind: 'repaired'; tables: { table: string; written: number; dropped: number }[] }
  /** Not compared: edits wait to be pushed, so the copy is ahead of the server. */
  | { kind: 'pending_edits' }
  /** Not compared: the scope changed after each of the pulls (a busy shop); try again later. */
  | { kind: 'kept_changing' };

/** Pulls and checks before a busy scope's verification gives up until the next one. */
const TRIES = 3;

/**
 * CRC-32 (IEEE 802.3, as zlib and MariaDB's `CRC32()`), one table of 256 entries. Written
 * here rather than taken from npm's `crc-32`: the package has no dependencies but its peers,
 * and `crc-32`'s sixteen tables put the bundle 1.4 KB (gzip) over its budget.
 */
let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const utf8 = new TextEncoder();

/** One record's term of its table's checksum. */
export function recordTerm(recordId: string, syncVersion: number, isDeleted: boolean): number {
  return crc32(utf8.encode(`${recordId}:${syncVersion}:${isDeleted ? 1 : 0}`));
}

/** Records and checksum per table of `records`. */
export function sumTables(
  records: Iterable<{ table_name: string; record_id: string; sync_version: number; is_deleted: boolean }>,
): Map<string, TableSum> {
  const sums = new Map<string, TableSum>();
  for (const r of records) {
    const sum = sums.get(r.table_name) ?? { count: 0, checksum: 0 };
    sum.count += 1;
    sum.checksum = (sum.checksum + recordTerm(r.record_id, r.sync_version, r.is_deleted)) % 2 ** 32;
    sums.set(r.table_name, sum);
  }
  return sums;
}

export interface VerifyParts {
  http: HttpClient;
  store: LocalStore;
  /** The synced tables (`undefined`: all of them). */
  tables: readonly string[] | undefined;
  catchUpLimit: number;
  /** Pulls to the server's head from the stored cursor. */
  pull(): Promise<number>;
}

/** Compares the copy with the server's checksums and replaces the tables that differ. */
export async function verifyScope(parts: VerifyParts): Promise<Verified> {
  const { http, store, tables } = parts;
  if ((await store.pendingEdits()) > 0) return { kind: 'pending_edits' };
  for (let i = 0; i < TRIES; i++) {
    await parts.pull();
    const cursor = await store.cursor();
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const server = await http.request<ChecksumsResponse>('GET', `/api/sync/checksums${query}`, {
      queueWhenOffline: false,
      retry: { attempts: 3 },
    });
    if (server.changed_since_cursor !== false) continue;
    const local = await store.checksums();
    const synced = server.tables.filter((t) => !tables || tables.includes(t.table_name));
    const differing = synced.filter((t) => {
      const held = local.get(t.table_name) ?? { count: 0, checksum: 0 };
      return held.count !== t.record_count || held.checksum !== t.checksum;
    });
    if (differing.length === 0) return { kind: 'equal', tables: synced.length };
    const repaired = [];
    for (const { table_name: table } of differing) {
      const records = await pullTable(http, table, parts.catchUpLimit);
      repaired.push({ table, ...(await store.replaceTable(table, records)) });
    }
    return { kind: 'repaired', tables: repaired };
  }
  return { kind: 'kept_changing' };
}

/** Every record of `table` in the till's scope, from scratch. */
async function pullTable(http: HttpClient, table: string, limit: number): Promise<PullResponse['changes']> {
  const records: PullResponse['changes'] = [];
  let cursor: string | undefined;
  for (;;) {
    const params = new URLSearchParams({ tables: table, limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    const page = await http.request<PullResponse>('GET', `/api/sync/pull-changes?${params}`, {
      queueWhenOffline: false,
      retry: { attempts: 3 },
    });
    records.push(...page.changes);
    cursor = page.next_cursor ?? cursor;
    if (!page.has_more) return records;
  }
}
