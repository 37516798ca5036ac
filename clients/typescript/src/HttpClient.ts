/**
 * The HTTP client for ingest (the design note's `FastifyClient`): JSON calls with the session's
 * access token, refreshed ahead of expiry and after a 401 — single-flight, so that many
 * calls failing at once trade the (single-use) refresh token only once; requests made while
 * the browser is offline wait in order until it is back; network errors, 5xx and 429 are
 * retried with exponential backoff and jitter, honouring `Retry-After`.
 */
import { HttpError, LoggedOutError, OfflineError } from './errors.js';
import { memorySessionStore, type Session, type SessionStore } from './session.js';
import type { TokenResponse } from './types.js';
import { backoffDelay, DEFAULT_RETRY, Emitter, nav, parseRetryAfter, sleep, type RetryPolicy } from './util.js';

export type AuthState = 'logged_in' | 'logged_out';

export interface HttpClientOptions {
  /** ingest, e.g. `https://pos.example.com` (no trailing slash needed). */
  baseUrl: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  sessionStore?: SessionStore;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Longest `Retry-After` honoured (default 5 min). */
  maxRetryAfterMs?: number;
  /**
   * Longest wait for the browser to come back online before a request fails with an
   * `OfflineError` (default 30 s): a sync never stays `syncing` for a network that is gone.
   */
  offlineWaitMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface RequestOptions {
  body?: unknown;
  /** Send the access token (default true). */
  auth?: boolean;
  /** Override the retry policy for this call (`attempts: 1` = no retry). */
  retry?: Partial<RetryPolicy>;
  /** Wait for the browser to be online before sending (default true). */
  queueWhenOffline?: boolean;
  signal?: AbortSignal;
}

interface Events extends Record<string, unknown> {
  auth: AuthState;
  /** Whether the last call reached the server. */
  reachable: boolean;
}

export class HttpClient extends Emitter<Events> {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly policy: RetryPolicy;
  private readonly sessions: SessionStore;
  private readonly random: () => number;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private session: Session | null | undefined;
  private refreshing: Promise<Session> | null = null;
  private offlineWaiters: Array<() => void> = [];
  private detach: (() => void) | undefined;
  authState: AuthState = 'logged_out';

  constructor(private readonly options: HttpClientOptions) {
    super();
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.policy = options.retry ?? DEFAULT_RETRY;
    this.sessions = options.sessionStore ?? memorySessionStore();
    this.random = options.random ?? Math.random;
    this.wait = options.sleep ?? sleep;
    this.now = options.now ?? Date.now;
    this.listen();
  }

  /** Listens to the browser's `online` events (again, after `dispose`). */
  listen(): void {
    const target = globalThis as unknown as Partial<EventTarget>;
    if (this.detach || typeof target.addEventListener !== 'function') return;
    const release = () => this.releaseOfflineQueue();
    target.addEventListener('online', release);
    this.detach = () => target.removeEventListener?.('online', release);
  }

  /** Stops listening to the browser's `online` events. */
  dispose(): void {
    this.detach?.();
    this.detach = undefined;
    this.releaseOfflineQueue();
  }

  /** The browser's idea of connectivity (always true where there is none). */
  get browserOnline(): boolean {
    return nav()?.onLine ?? true;
  }

  async currentSession(): Promise<Session | null> {
    if (this.session === undefined) {
      this.session = await this.sessions.load();
      this.setAuth(this.session ? 'logged_in' : 'logged_out');
    }
    return this.session;
  }

  /** Forgets the cached session, to read it again from the store (another tab changed it). */
  reloadSession(): void {
    if (!this.refreshing) this.session = undefined;
  }

  /**
   * Logs in; `accept` sees who logged in before the session is kept (a throw keeps the
   * previous session and is the login's error).
   */
  async login(username: string, password: string, accept?: (user: TokenResponse['user']) => Promise<unknown>): Promise<Session> {
    const answer = await this.request<TokenResponse>('POST', '/api/auth/login', {
      body: { username, password },
      auth: false,
      retry: { attempts: 2 },
    });
    await accept?.(answer.user);
    return this.adopt(answer);
  }

  /** Drops the session (the queue and the local data stay). */
  async logout(): Promise<void> {
    this.session = null;
    await this.sessions.save(null);
    this.setAuth('logged_out');
  }

  /** How often a long-lived connection should check its token: a quarter of its lifetime, ≤ 30 s. */
  tokenCheckIntervalMs(): number {
    const lifetime = this.session?.lifetimeMs ?? 120_000;
    return Math.min(30_000, Math.max(100, lifetime / 4));
  }

  /** A valid access token: the current one, or a refreshed one when it expires within its margin. */
  async accessToken(): Promise<string> {
    const session = await this.currentSession();
    if (!session) throw new LoggedOutError('not logged in');
    const margin = Math.min(60_000, session.lifetimeMs / 3);
    if (session.expiresAt - this.now() > margin) return session.accessToken;
    return (await this.refresh(session.accessToken)).accessToken;
  }

  /**
   * Trades the refresh token for new tokens. Single-flight: concurrent callers share one
   * request; a caller whose token was already replaced gets the new session at once.
   */
  refresh(staleAccessToken?: string): Promise<Session> {
    if (this.refreshing) return this.refreshing;
    if (staleAccessToken && this.session && this.session.accessToken !== staleAccessToken) {
      return Promise.resolve(this.session);
    }
    const run = async (): Promise<Session> => {
      const session = await this.currentSession();
      if (!session) throw new LoggedOutError('not logged in');
      try {
        const answer = await this.request<TokenResponse>('POST', '/api/auth/refresh', {
          body: { refreshToken: session.refreshToken },
          auth: false,
        });
        return await this.adopt(answer);
      } catch (err) {
        if (err instanceof HttpError && err.status !== 429 && err.status < 500) {
          // The refresh token was refused (expired, revoked, already used): logged out.
          // Local data and the queue are kept; they push after the next login.
          await this.logout();
          throw new LoggedOutError(`the server refused the session (${err.status} ${err.code}): log in again`);
        }
        throw err;
      }
    };
    this.refreshing = run().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async adopt(answer: TokenResponse): Promise<Session> {
    const lifetimeMs = Math.max(1, answer.expiresIn) * 1000;
    const session: Session = {
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      expiresAt: this.now() + lifetimeMs,
      lifetimeMs,
      user: answer.user,
    };
    this.session = session;
    await this.sessions.save(session);
    this.setAuth('logged_in');
    return session;
  }

  private setAuth(state: AuthState): void {
    if (state === this.authState) return;
    this.authState = state;
    this.emit('auth', state);
  }

  /**
   * A JSON call. Authenticated calls carry the access token; a 401 refreshes it once
   * (single-flight) and repeats the call.
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    if (!auth) return this.send<T>(method, path, undefined, options);
    const token = await this.accessToken();
    try {
      return await this.send<T>(method, path, token, options);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 401) throw err;
      const fresh = await this.refresh(token);
      return this.send<T>(method, path, fresh.accessToken, options);
    }
  }

  private waitOnline(signal?: AbortSignal): Promise<void> {
    if (this.browserOnline) return Promise.resolve();
    const waitMs = this.options.offlineWaitMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const stop = (error: unknown) => {
        clearTimeout(timer);
        this.offlineWaiters = this.offlineWaiters.filter((w) => w !== resume);
        reject(error);
      };
      const resume = () => (clearTimeout(timer), resolve());
      const timer = setTimeout(() => stop(new OfflineError(`the browser stayed offline for ${waitMs} ms`)), waitMs);
      this.offlineWaiters.push(resume);
      signal?.addEventListener('abort', () => stop(signal.reason), { once: true });
    });
  }

  private releaseOfflineQueue(): void {
    const waiters = this.offlineWaiters;
    this.offlineWaiters = [];
    for (const resume of waiters) resume();
  }

  private async send<T>(method: string, path: string, token: string | undefined, options: RequestOptions): Promise<T> {
    const policy = { ...this.policy, ...options.retry };
    const attempts = Math.max(1, policy.attempts);
    let last: OfflineError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (options.queueWhenOffline ?? true) await this.waitOnline(options.signal);
      const outcome = await this.attempt(method, path, token, options);
      if (!(outcome instanceof OfflineError)) {
        this.emit('reachable', true);
        return outcome as T;
      }
      last = outcome;
      this.emit('reachable', outcome.status !== undefined);
      if (attempt === attempts) break;
      const retryAfter = outcome.retryAfterMs;
      await this.wait(retryAfter ?? backoffDelay(attempt, policy, this.random));
    }
    throw last!;
  }

  /** One try: the parsed body, an OfflineError to retry, or throws an HttpError. */
  private async attempt(
    method: string,
    path: string,
    token: string | undefined,
    options: RequestOptions,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs ?? 30_000);
    const onAbort = () => timeout.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    init.signal = timeout.signal;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, init);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      return new OfflineError(`network error: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), this.now());
    const capped = retryAfter === undefined ? undefined : Math.min(retryAfter, this.options.maxRetryAfterMs ?? 300_000);
    if (response.ok) {
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        return new OfflineError(`network error while reading the answer: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!text) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        // Whatever answered was not ingest: a captive portal, a proxy's page.
        return new OfflineError(`${response.status} answer is not JSON (a captive portal or a proxy in the way?)`);
      }
    }
    let code = `http_${response.status}`;
    let message = response.statusText || `status ${response.status}`;
    let body: { error?: { code?: string; message?: string } } | undefined;
    try {
      body = (await response.json()) as typeof body;
      if (body?.error?.code) code = body.error.code;
      if (body?.error?.message) message = body.error.message;
    } catch {
      /* not the error shape */
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      return new OfflineError(`${response.status} ${code}: ${message}`, response.status, capped);
    }
    throw new HttpError(response.status, code, message, capped, body);
  }
}

/** @deprecated use HttpClient (the name in the design note, kept for its readers) */
export const FastifyClient = HttpClient;
/** @deprecated use HttpClient */
export type FastifyClient = HttpClient;
