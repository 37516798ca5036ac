/** Small fakes for pure-unit tests: an in-memory ingest behind `fetch`, and a WebSocket. */
import type { SyncEngineOptions } from '../src/engineOptions.js';
import { SyncEngine } from '../src/SyncEngine.js';
import { TABLES } from '../src/tables.js';
import type { Change, PushRecord, PushResponse } from '../src/types.js';
import { sumTables } from '../src/verify.js';

/** The server's counter fields (`wire/src/registry.rs`), written out again on purpose. */
const SERVER_COUNTERS: Record<string, string[]> = { product_stock: ['quantity'], shifts: ['expected_cash'], customers: ['balance', 'points'] };

function addUp(data: any, increments: Record<string, number>): any {
  const next = { ...data };
  for (const [field, by] of Object.entries(increments)) next[field] = (next[field] ?? 0) + by;
  return next;
}

/** What `FakeIngest.backup` keeps. */
export type Backup = Pick<FakeIngest, 'log' | 'rows' | 'editIds' | 'made'>;

export interface Call {
  method: string;
  path: string;
  body: any;
  auth: string | null;
}

type Override = (call: Call) => Response | undefined | Promise<Response | undefined>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** An ingest good enough for the client's unit tests (not the real rules: see the real-stack tests). */
export class FakeIngest {
  calls: Call[] = [];
  /** The change log; a cursor is an index into it. */
  log: Change[] = [];
  rows = new Map<string, Change & { device?: string; local_updated_at?: string }>();
  tokenLifetime = 900;
  tokenCounter = 0;
  validTokens = new Set<string>();
  refreshTokens = new Set<string>();
  overrides: Override[] = [];
  /** Cursors below this are answered 410. */
  resyncBelow = 0;
  /** Edit ids applied (an edit with a known id is applied at most once). */
  editIds = new Map<string, number>();
  /** Data edits applied, by device, record, time and content: pushed again, they are retries. */
  made = new Set<string>();
  /** The database's epoch: a restore gives it a new one, and cursors of another get a 410. */
  epoch = 0;

  /** A copy of the database as a backup takes it (`restore` puts it back). */
  backup(): Backup {
    return structuredClone({ log: this.log, rows: this.rows, editIds: this.editIds, made: this.made });
  }

  /** Restores `backup` with a new epoch: every change since it is lost. */
  restore(backup: Backup): void {
    Object.assign(this, structuredClone(backup));
    this.epoch += 1;
  }

  /** The cursor after `index` changes of the log (epoch 0: the index alone, as tests expect). */
  private cursorAt(index: number): string {
    return this.epoch === 0 ? String(index) : `${this.epoch}:${index}`;
  }

  /** The log index a cursor stands for; undefined when it is of another epoch. */
  private position(cursor: string): number | undefined {
    const [epoch, index] = cursor.includes(':') ? cursor.split(':') : ['0', cursor];
    return Number(epoch) === this.epoch ? Number(index) : undefined;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = (init.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method: init.method ?? 'GET',
      path: url.pathname + url.search,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.authorization ?? null,
    };
    this.calls.push(call);
    for (const override of this.overrides) {
      const answer = await override(call);
      if (answer) return answer;
    }
    return this.handle(call, url);
  };

  callsTo(path: string): Call[] {
    return this.calls.filter((c) => c.path.startsWith(path));
  }

  /** Who logs in by name (others are cashier1 of client 1, branch 1). */
  users: Record<string, object> = {
    cashier2: { id: 2, username: 'cashier2', role: 'cashier', client_id: 1, branch_id: 2 },
    other: { id: 3, username: 'other', role: 'cashier', client_id: 2, branch_id: 7 },
  };
  private user: object = { id: 1, username: 'cashier1', role: 'cashier', client_id: 1, branch_id: 1 };

  issue(): { accessToken: string; refreshToken: string; expiresIn: number; user: object } {
    this.tokenCounter += 1;
    const accessToken = `access-${this.tokenCounter}`;
    const refreshToken = `refresh-${this.tokenCounter}`;
    this.validTokens.add(accessToken);
    this.refreshTokens.add(refreshToken);
    return {
      accessToken,
      refreshToken,
      expiresIn: this.tokenLifetime,
      user: this.user,
    };
  }

  /** A change made by another device. */
  serverWrite(table: string, id: string, data: object, isDeleted = false): Change {
    const key = `${table}/${id}`;
    const version = (this.rows.get(key)?.sync_version ?? 0) + 1;
    const change: Change = {
      table_name: table,
      record_id: id,
      data: data as Change['data'],
      is_deleted: isDeleted,
      sync_version: version,
      server_updated_at: new Date().toISOString(),
    };
    this.rows.set(key, { ...change, device: 'other' });
    this.log.push(change);
    return change;
  }

  /** Increments made by another device (`data` stays, counters move). */
  serverIncrement(table: string, id: string, increments: Record<string, number>): Change {
    const current = this.rows.get(`${table}/${id}`)!;
    const change: Change = { ...current, data: addUp(current.data, increments), sync_version: current.sync_version + 1 };
    delete (change as any).device;
    this.rows.set(`${table}/${id}`, { ...change, device: current.device });
    this.log.push(change);
    return change;
  }

  private handle(call: Call, url: URL): Response {
    const error = (status: number, code: string, message = code) => json({ error: { code, message } }, status);
    if (call.path === '/api/auth/login') {
      this.user = this.users[call.body?.username] ?? { id: 1, username: call.body?.username, role: 'cashier', client_id: 1, branch_id: 1 };
      return json(this.issue());
    }
    if (call.path === '/api/auth/refresh') {
      const token = call.body?.refreshToken;
      if (!this.refreshTokens.has(token)) return error(401, 'invalid_token');
      this.refreshTokens.delete(token);
      return json(this.issue());
    }
    const token = call.auth?.replace(/^Bearer /, '');
    if (!token || !this.validTokens.has(token)) return error(401, 'unauthorized');
    if (url.pathname === '/api/sync/batch-push') {
      const body = call.body as { device_id: string; records: PushRecord[] };
      if (body.records.length > 50) return error(400, 'too_many_records');
      const answer: PushResponse = { success: true, synced_count: 0, conflicts: [], errors: [], versions: [] };
      body.records.forEach((record, index) => {
        if ((record.data as any)?.invalid) {
          answer.errors.push({ index, table_name: record.table_name, record_id: record.record_id, message: 'data.price must be a number ≥ 0' });
          return;
        }
        const key = `${record.table_name}/${record.record_id}`;
        const current = this.rows.get(key);
        const known = record.edit_id ? this.editIds.get(record.edit_id) : undefined;
        if (known !== undefined) {
          answer.synced_count += 1;
          answer.versions!.push({ index, sync_version: known });
          return;
        }
        if (record.increments && record.data == null) {
          if (!current) {
            const message = `no ${record.table_name} record ${record.record_id} to add to; the edit that creates it sends data`;
            answer.errors.push({ index, table_name: record.table_name, record_id: record.record_id, message });
            return;
          }
          const change: Change = { ...current, data: addUp(current.data, record.increments), sync_version: current.sync_version + 1 };
          delete (change as any).device;
          this.rows.set(key, { ...change, device: current.device });
          this.log.push(change);
          this.editIds.set(record.edit_id!, change.sync_version);
          answer.synced_count += 1;
          answer.versions!.push({ index, sync_version: change.sync_version });
          return;
        }
        const made = [body.device_id, key, record.local_updated_at, JSON.stringify(record.data), record.is_deleted].join('|');
        if (current && !record.increments && this.made.has(made)) {
          answer.synced_count += 1; // a retry: nothing changes
          answer.versions!.push({ index, sync_version: current.sync_version });
          return;
        }
        if (current && current.device !== body.device_id && record.base_version !== current.sync_version) {
          answer.conflicts.push({
            table_name: record.table_name,
            record_id: record.record_id,
            local_data: record.data ?? null,
            server_data: current.data,
            local_updated_at: record.local_updated_at,
            server_updated_at: current.server_updated_at,
            sync_version: current.sync_version,
            server_is_deleted: current.is_deleted,
          });
          return;
        }
        const data: any = { ...(record.data ?? current?.data ?? {}) };
        for (const counter of SERVER_COUNTERS[record.table_name] ?? []) {
          if (data[counter] === undefined && (current?.data as any)?.[counter] !== undefined) data[counter] = (current!.data as any)[counter];
        }
        const change: Change = {
          table_name: record.table_name,
          record_id: record.record_id,
          data,
          is_deleted: record.is_deleted ?? false,
          sync_version: (current?.sync_version ?? 0) + 1,
          server_updated_at: new Date().toISOString(),
        };
        this.rows.set(key, { ...change, device: body.device_id });
        this.log.push(change);
        this.made.add(made);
        answer.synced_count += 1;
        answer.versions!.push({ index, sync_version: change.sync_version });
      });
      return json(answer);
    }
    if (url.pathname === '/api/sync/pull-changes') {
      const cursor = url.searchParams.get('cursor');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const from = cursor ? this.position(cursor) ?? -1 : 0;
      if (cursor && from < this.resyncBelow) return error(410, 'resync_required', 'pull from scratch');
      const tables = url.searchParams.get('tables')?.split(',');
      const changes: Change[] = [];
      let next = from;
      while (next < this.log.length && changes.length < limit) {
        const change = this.log[next++]!;
        if (!tables || tables.includes(change.table_name)) changes.push(change);
      }
      return json({ changes, has_more: next < this.log.length, next_cursor: this.log.length ? this.cursorAt(next) : null });
    }
    if (url.pathname === '/api/sync/checksums') {
      const cursor = url.searchParams.get('cursor');
      const sums = sumTables(this.rows.values());
      const tables = TABLES.map((table_name) => {
        const sum = sums.get(table_name) ?? { count: 0, checksum: 0 };
        return { table_name, record_count: sum.count, checksum: sum.checksum };
      });
      const changed_since_cursor = cursor === null ? null : (this.position(cursor) ?? -1) < this.log.length;
      return json({ changed_since_cursor, tables });
    }
    if (url.pathname === '/api/sync/resolve-conflict') {
      const { table_name, record_id, resolution, client_data } = call.body;
      const key = `${table_name}/${record_id}`;
      if (resolution === 'accept_client') {
        const current = this.rows.get(key)!;
        const change: Change = { ...current, data: client_data, sync_version: current.sync_version + 1, server_updated_at: new Date().toISOString() };
        this.rows.set(key, { ...change, device: 'resolver' });
        this.log.push(change);
      }
      const { device: _d, local_updated_at: _l, ...record } = this.rows.get(key)!;
      return json({ success: true, record });
    }
    return error(404, 'not_found');
  }
}

/** A WebSocket the test drives: `open()`, `receive(message)`, `drop(code)`. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]!;
  }
  readyState = 0;
  sent: any[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[] = [],
  ) {
    FakeWebSocket.instances.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let n = 0;
export const uniqueName = (prefix = 'db') => `${prefix}-${Date.now()}-${++n}`;

/**
 * A started engine on `server` with its own database, quick to retry and push, leading once
 * it returns unless `leading` is false (a second tab); added to `started` (the test stops them).
 */
export async function startEngine(
  server: FakeIngest,
  started: SyncEngine[],
  extra: Partial<SyncEngineOptions> = {},
  leading = true,
): Promise<SyncEngine> {
  const e = new SyncEngine({
    apiUrl: 'http://ingest.test',
    deviceId: 'till-1',
    dbName: uniqueName('engine'),
    fetch: server.fetch,
    retry: { attempts: 3, baseMs: 10, maxMs: 50 },
    periodicSyncMs: 0,
    pushDelayMs: 5,
    leader: { forceLease: true, leaseMs: 200 },
    ...extra,
  });
  started.push(e);
  await e.start();
  if (leading) await until(() => e.status.leader);
  return e;
}
