/**
 * The WebSocket to fanout: reconnects with exponential backoff and jitter, buffers outgoing
 * control messages while disconnected (and re-subscribes rooms), hands incoming messages to
 * one handler strictly in order (the next waits until the previous one is done), keeps its
 * token fresh on the open socket with `{"type":"auth","token":…}`, and reports its state.
 * The token goes as a subprotocol (`possync.token.<JWT>` next to `possync`), never in the URL.
 */
import type { ClientMessage, ServerMessage } from './types.js';
import { backoffDelay, Emitter, type RetryPolicy } from './util.js';

export type SocketState = 'idle' | 'connecting' | 'open' | 'closed';

export interface WebSocketClientOptions {
  /** fanout, e.g. `wss://pos.example.com` (the client adds `/ws`). */
  url: string;
  deviceId: string;
  /** A valid access token (refreshed ahead of expiry by the HTTP client). */
  getToken: () => Promise<string>;
  /** How often to check whether the token changed (default 30 s). */
  tokenCheckIntervalMs?: () => number;
  WebSocket?: typeof WebSocket;
  retry?: RetryPolicy;
  /** Control messages kept while disconnected (default 100). */
  bufferLimit?: number;
  /** A `ping` this often; no message for twice as long means the connection is dead (default 25 s). */
  heartbeatMs?: number;
  random?: () => number;
}

interface Events extends Record<string, unknown> {
  state: SocketState;
  open: void;
  close: { code: number; reason: string };
  error: unknown;
}

/**
 * Reconnects: the first after a random wait of up to 1 s, so the devices of a fanout replica
 * that went away come back spread over a second rather than at once (each then pulls),
 * doubling up to 10 s.
 */
const RECONNECT: RetryPolicy = { attempts: Infinity, baseMs: 1_000, maxMs: 10_000 };

export class WebSocketClient extends Emitter<Events> {
  state: SocketState = 'idle';
  private socket: WebSocket | null = null;
  private running = false;
  private attempt = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private outbox: ClientMessage[] = [];
  private rooms = new Set<string>();
  private sentToken: string | undefined;
  private lastMessageAt = 0;
  private handler: (message: ServerMessage) => Promise<void> | void = () => {};
  private chain: Promise<void> = Promise.resolve();
  private readonly Impl: typeof WebSocket;

  constructor(private readonly options: WebSocketClientOptions) {
    super();
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!impl) throw new Error('possync: no WebSocket implementation available');
    this.Impl = impl;
  }

  /** Sets the one handler of incoming messages; they are handled one at a time, in order. */
  onMessage(handler: (message: ServerMessage) => Promise<void> | void): void {
    this.handler = handler;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'client stopped');
    this.setState('idle');
  }

  /** Closes the current connection and connects again (e.g. after a new login). */
  reconnect(): void {
    if (!this.running) return this.start();
    if (this.socket) {
      this.socket.close(1000, 'reconnect');
      return;
    }
    // Waiting out a backoff (e.g. the browser just came back online): connect now.
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.attempt = 0;
    void this.connect();
  }

  /** Sends now when open, otherwise keeps the message (bounded) until the next connection. */
  send(message: ClientMessage): void {
    if (message.type === 'subscribe') this.rooms.add(message.room);
    if (message.type === 'unsubscribe') this.rooms.delete(message.room);
    if (this.socket && this.state === 'open') {
      this.socket.send(JSON.stringify(message));
      return;
    }
    if (message.type === 'auth' || message.type === 'subscribe' || message.type === 'unsubscribe') return;
    this.outbox.push(message);
    const limit = this.options.bufferLimit ?? 100;
    if (this.outbox.length > limit) this.outbox.splice(0, this.outbox.length - limit);
  }

  private setState(state: SocketState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private scheduleReconnect(minMs = 0): void {
    if (!this.running) return;
    this.attempt += 1;
    const delay = Math.max(minMs, backoffDelay(this.attempt, this.options.retry ?? RECONNECT, this.options.random));
    this.later(delay, () => void this.connect());
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.setState('connecting');
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (err) {
      this.emit('error', err);
      if ((err as Error)?.name === 'LoggedOutError') {
        this.running = false;
        this.setState('closed');
        return;
      }
      this.setState('closed');
      this.scheduleReconnect();
      return;
    }
    if (!this.running) return;
    const base = this.options.url.replace(/\/+$/, '');
    const url = `${base}/ws?device_id=${encodeURIComponent(this.options.deviceId)}`;
    let socket: WebSocket;
    try {
      // The token rides as a subprotocol, out of the URL (and of proxies' access logs); the
      // server answers `possync`, never the token.
      socket = new this.Impl(url, ['possync', `possync.token.${token}`]);
    } catch (err) {
      this.emit('error', err);
      this.setState('closed');
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.sentToken = token;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.attempt = 0;
      this.lastMessageAt = Date.now();
      this.setState('open');
      for (const room of this.rooms) socket.send(JSON.stringify({ type: 'subscribe', room }));
      const buffered = this.outbox;
      this.outbox = [];
      for (const message of buffered) socket.send(JSON.stringify(message));
      this.emit('open', undefined);
      this.scheduleTokenCheck(socket);
      this.scheduleHeartbeat(socket);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      this.lastMessageAt = Date.now();
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      this.chain = this.chain
        .then(() => this.handler(message))
        .catch((err: unknown) => this.emit('error', err));
    };
    socket.onerror = () => {
      /* followed by close */
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState('closed');
      this.emit('close', { code: event.code, reason: event.reason });
      if (!opened) return this.scheduleReconnect();
      switch (event.code) {
        case 4001: // token expired: the next connect refreshes it
        case 1001: // replica going away
          this.attempt = 0;
          return this.scheduleReconnect();
        case 1008: // too many messages
        case 1009: // message too big
          return this.scheduleReconnect(10_000);
        default:
          return this.scheduleReconnect();
      }
    };
  }

  private scheduleTokenCheck(socket: WebSocket): void {
    const interval = this.options.tokenCheckIntervalMs?.() ?? 30_000;
    this.later(interval, async () => {
      if (this.socket !== socket || this.state !== 'open') return;
      try {
        const fresh = await this.options.getToken();
        if (fresh !== this.sentToken && this.socket === socket) {
          socket.send(JSON.stringify({ type: 'auth', token: fresh }));
          this.sentToken = fresh;
        }
      } catch (err) {
        this.emit('error', err);
      }
      if (this.socket === socket) this.scheduleTokenCheck(socket);
    });
  }

  private scheduleHeartbeat(socket: WebSocket): void {
    const every = this.options.heartbeatMs ?? 25_000;
    this.later(every, () => {
      if (this.socket !== socket) return;
      if (Date.now() - this.lastMessageAt > 2 * every) {
        socket.close(4000, 'no answer');
        return;
      }
      socket.send(JSON.stringify({ type: 'ping' }));
      this.scheduleHeartbeat(socket);
    });
  }
}
