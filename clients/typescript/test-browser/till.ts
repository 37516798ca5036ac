/**
 * A till in Chromium: a page of the test origin running a SyncEngine (the bundle's
 * `window.possync`), with counters the tests read back (`opens`, `closes`, `changes`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './launch.js';
import { startStack, type Stack } from './stack.js';

export interface TillOptions {
  /** Another profile (IndexedDB) of its own, or a new tab of this one. */
  context?: BrowserContext;
  /** `proxy` (default): the API on the page's origin; `direct`: ingest's own origin (CORS). */
  api?: 'proxy' | 'direct';
  /** Realtime over fanout (default true). */
  socket?: boolean;
  /** Runs in a new profile's pages before the bundle (e.g. to wrap `fetch`). */
  init?: () => void;
  /** More `SyncEngine` options (e.g. `tables`). */
  engine?: Record<string, unknown>;
  /** The React till of `react-page.ts` instead of the bare page. */
  react?: boolean;
}

/** The stack and one Chromium for a test file; `close` ends every profile it opened. */
export class Tills {
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    readonly stack: Stack,
    readonly browser: Browser,
  ) {}

  static async start(accessTtlSecs: number): Promise<Tills> {
    const stack = await startStack(accessTtlSecs);
    const browser = await launchChromium();
    return new Tills(stack, browser);
  }

  /** A new browser profile (its own IndexedDB, Web Locks and network state). */
  async profile(): Promise<BrowserContext> {
    const context = await this.browser.newContext();
    this.contexts.push(context);
    return context;
  }

  /** A till; a new profile unless `options.context` is given. */
  async open(deviceId: string, options: TillOptions = {}): Promise<{ page: Page; context: BrowserContext }> {
    const { stack } = this;
    const context = options.context ?? (await this.profile());
    if (!options.context && options.init) await context.addInitScript(options.init);
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[${deviceId}]`, err));
    await page.goto(options.react ? `${stack.origin}/react.html` : stack.origin);
    const apiUrl = options.api === 'direct' ? stack.ingest : null;
    const wsUrl = options.socket === false ? null : stack.wsUrl;
    await page.evaluate(
      async ({ deviceId, apiUrl, wsUrl, extra }) => {
        const w = window as any;
        w.opens = 0;
        w.closes = [];
        w.changes = [];
        const options = { apiUrl: apiUrl ?? location.origin, wsUrl: wsUrl ?? undefined, deviceId, periodicSyncMs: 0, heartbeatMs: 5000, ...extra };
        if (w.startReactTill) await w.startReactTill(options); // it builds and starts the engine
        else w.engine = new w.possync.SyncEngine(options);
        w.engine.socket?.on('open', () => w.opens++);
        w.engine.socket?.on('close', (e: { code: number }) => w.closes.push(e.code));
        w.engine.on('change', (c: { tables: string[] }) => w.changes.push(...c.tables));
        if (!w.startReactTill) await w.engine.start();
      },
      { deviceId, apiUrl, wsUrl, extra: options.engine ?? {} },
    );
    // The first tab of a profile: wait for its Web Lock, or a login made before it is granted
    // goes to a leader that is not there yet (and waits 60 s for an answer).
    if (!options.context) await page.waitForFunction(() => (window as any).engine.status.leader);
    return { page, context };
  }

  async close(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => undefined);
    await this.browser.close();
    await this.stack.stop();
  }
}

/** Logs the till in as `cashier1` (branch 1) and waits for its first sync. */
export async function login(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).engine.login('cashier1', 'password'));
  await page.waitForFunction(() => {
    const status = (window as any).engine.status;
    return (status.connection === 'online' || !(window as any).engine.socket) && !status.syncing;
  });
}

export const record = (page: Page, table: string, id: string) =>
  page.evaluate(([t, i]) => (window as any).engine.get(t, i), [table, id] as const);

/** Polls until `table/id` is in the page's store and passes `check`. */
export async function waitRecord(page: Page, table: string, id: string, check: (data: any) => boolean = () => true) {
  for (let i = 0; i < 200; i++) {
    const r = await record(page, table, id);
    if (r && check(r.data)) return r;
    await page.waitForTimeout(50);
  }
  throw new Error(`${table}/${id} never arrived as expected`);
}
