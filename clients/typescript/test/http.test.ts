import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, LoggedOutError, OfflineError } from '../src/errors.js';
import { FastifyClient, HttpClient } from '../src/HttpClient.js';
import { memorySessionStore } from '../src/session.js';
import { FakeIngest, json } from './fakes.js';

function client(server: FakeIngest, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const waits: number[] = [];
  const http = new HttpClient({
    baseUrl: 'http://ingest.test/',
    fetch: server.fetch,
    retry: { attempts: 4, baseMs: 100, maxMs: 1000 },
    sleep: async (ms) => void waits.push(ms),
    ...extra,
  });
  return { http, waits };
}

describe('HttpClient tokens', () => {
  it('refreshes once for many concurrent 401s (single-flight)', async () => {
    const server = new FakeIngest();
    const { http } = client(server);
    await http.login('cashier1', 'password');
    server.validTokens.clear(); // the access token was revoked
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => http.request<{ changes: unknown[] }>('GET', '/api/sync/pull-changes')),
    );
    expect(answers).toHaveLength(8);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    const retried = server.callsTo('/api/sync/pull-changes').filter((c) => c.auth === 'Bearer access-2');
    expect(retried).toHaveLength(8);
  });

  it('refreshes ahead of expiry, once, before sending', async () => {
    const server = new FakeIngest();
    let now = 1_000_000;
    const { http } = client(server, { now: () => now });
    server.tokenLifetime = 900;
    await http.login('cashier1', 'password');
    now += 850_000; // 50 s left: inside the 60 s margin
    await Promise.all([http.request('GET', '/api/sync/pull-changes'), http.request('GET', '/api/sync/pull-changes')]);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(server.callsTo('/api/sync/pull-changes').every((c) => c.auth === 'Bearer access-2')).toBe(true);
  });

  it('a refused refresh token leads to a clear logged-out state', async () => {
    const server = new FakeIngest();
    const sessions = memorySessionStore();
    const { http } = client(server, { sessionStore: sessions });
    const states: string[] = [];
    http.on('auth', (s) => states.push(s));
    await http.login('cashier1', 'password');
    server.validTokens.clear();
    server.refreshTokens.clear(); // the refresh token was revoked too
    await expect(http.request('GET', '/api/sync/pull-changes')).rejects.toBeInstanceOf(LoggedOutError);
    expect(http.authState).toBe('logged_out');
    expect(states).toEqual(['logged_in', 'logged_out']);
    expect(await sessions.load()).toBeNull();
    await expect(http.accessToken()).rejects.toBeInstanceOf(LoggedOutError);
  });

  it('a refresh that cannot reach the server keeps the session', async () => {
    const server = new FakeIngest();
    let now = 0;
    const { http } = client(server, { now: () => now, retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
    await http.login('cashier1', 'password');
    now += 899_000;
    server.overrides.push((call) => (call.path === '/api/auth/refresh' ? json({ error: { code: 'down', message: 'x' } }, 503) : undefined));
    await expect(http.accessToken()).rejects.toBeInstanceOf(OfflineError);
    expect(http.authState).toBe('logged_in');
  });
});

describe('HttpClient retries', () => {
  it('retries network errors and 5xx with jittered exponential backoff', async () => {
    const server = new FakeIngest();
    const { http, waits } = client(server, { random: () => 0.5 });
    await http.login('cashier1', 'password');
    let failures = 3;
    server.overrides.push((call) => {
      if (!call.path.startsWith('/api/sync/stats')) return undefined;
      if (failures-- > 1) throw new TypeError('Failed to fetch');
      if (failures === 0) return json({ error: { code: 'unavailable', message: 'db down' } }, 503);
      return json({ pending_queue_count: 0, last_sync_at: null, tables_stats: [] });
    });
    const answer = await http.request<{ pending_queue_count: number }>('GET', '/api/sync/stats');
    expect(answer.pending_queue_count).toBe(0);
    // ceilings 100, 200, 400 with jitter 0.5
    expect(waits).toEqual([50, 100, 200]);
  });

  it('honours Retry-After on 429 and 503', async () => {
    const server = new FakeIngest();
    const { http, waits } = client(server);
    await http.login('cashier1', 'password');
    let n = 0;
    server.overrides.push((call) => {
      if (!call.path.startsWith('/api/sync/stats')) return undefined;
      n += 1;
      if (n === 1) return json({ error: { code: 'rate_limited', message: 'slow down' } }, 429, { 'retry-after': '3' });
      if (n === 2) return json({ error: { code: 'unavailable', message: 'x' } }, 503, { 'retry-after': '1' });
      return json({ pending_queue_count: 1, last_sync_at: null, tables_stats: [] });
    });
    await http.request('GET', '/api/sync/stats');
    expect(waits).toEqual([3000, 1000]);
  });

  it('never retries a 4xx, and reports the server error code', async () => {
    const server = new FakeIngest();
    const { http, waits } = client(server);
    await http.login('cashier1', 'password');
    server.overrides.push(() => json({ error: { code: 'forbidden', message: 'not your branch' } }, 403));
    const err = await http.request('GET', '/api/sync/stats').catch((e) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 403, code: 'forbidden', message: 'not your branch' });
    expect(waits).toEqual([]);
  });

  it('gives up after its attempts with an OfflineError', async () => {
    const server = new FakeIngest();
    const { http, waits } = client(server);
    server.overrides.push(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(http.login('a', 'b')).rejects.toBeInstanceOf(OfflineError);
    expect(waits).toHaveLength(1); // login: 2 attempts
  });

  it('takes a 200 that is not JSON (a captive portal) for an unreachable server, and retries it', async () => {
    const server = new FakeIngest();
    const { http, waits } = client(server);
    server.overrides.push(() => new Response('<html>Sign in to the shop Wi-Fi</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const err = await http.login('a', 'b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OfflineError);
    expect((err as OfflineError).message).toMatch(/not JSON/);
    expect(waits).toHaveLength(1); // login: 2 attempts
  });
});

describe('HttpClient offline queue', () => {
  const g = globalThis as any;
  const saved = { navigator: Object.getOwnPropertyDescriptor(g, 'navigator'), add: g.addEventListener, remove: g.removeEventListener };
  /** A browser that is offline until the test says otherwise (`onLine`, then an `online` event). */
  const offlineBrowser = () => {
    const events = new EventTarget();
    const fakeNavigator = { onLine: false };
    Object.defineProperty(g, 'navigator', { value: fakeNavigator, configurable: true });
    g.addEventListener = events.addEventListener.bind(events);
    g.removeEventListener = events.removeEventListener.bind(events);
    return { events, fakeNavigator };
  };
  afterEach(() => {
    if (saved.navigator) Object.defineProperty(g, 'navigator', saved.navigator);
    else delete g.navigator;
    g.addEventListener = saved.add;
    g.removeEventListener = saved.remove;
  });

  it('holds requests made while the browser is offline and sends them, in order, when it is back', async () => {
    const { events, fakeNavigator } = offlineBrowser();
    const server = new FakeIngest();
    const { http } = client(server);
    const sessionless = [http.request('GET', '/healthz?1', { auth: false }), http.request('GET', '/healthz?2', { auth: false })];
    await new Promise((r) => setTimeout(r, 20));
    expect(server.calls).toHaveLength(0);
    fakeNavigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await Promise.allSettled(sessionless);
    expect(server.calls.map((c) => c.path)).toEqual(['/healthz?1', '/healthz?2']);
    http.dispose();
  });

  it('fails a request with an OfflineError when the browser stays offline too long, and never sends it', async () => {
    const { events, fakeNavigator } = offlineBrowser();
    const server = new FakeIngest();
    const { http } = client(server, { offlineWaitMs: 30 });
    await expect(http.request('GET', '/healthz', { auth: false })).rejects.toBeInstanceOf(OfflineError);
    fakeNavigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.calls).toEqual([]);
    http.dispose();
  });

  it('listens to online events again after dispose (an engine stopped and started)', async () => {
    const { events, fakeNavigator } = offlineBrowser();
    const server = new FakeIngest();
    const { http } = client(server);
    http.dispose();
    http.listen();
    const held = http.request('GET', '/healthz', { auth: false });
    fakeNavigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await held.catch(() => undefined); // the fake answers 401: what matters is that it was sent
    expect(server.calls.map((c) => c.path)).toEqual(['/healthz']);
    http.dispose();
  });
});

describe('HttpClient name', () => {
  it('keeps FastifyClient, the design note\'s name, as an alias of the same class', () => {
    const server = new FakeIngest();
    const http = new FastifyClient({ baseUrl: 'http://ingest.test', fetch: server.fetch });
    expect(FastifyClient).toBe(HttpClient);
    expect(http).toBeInstanceOf(HttpClient);
    http.dispose();
  });
});
