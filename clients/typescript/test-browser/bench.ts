/**
 * The client's figures in Chromium: push on one till → applied in another till's IndexedDB,
 * and a pull of many records into IndexedDB. Times are taken inside the pages
 * (`performance.timeOrigin + performance.now()`, one clock for every page of the browser);
 * Node only orchestrates.
 */
import type { Page } from 'playwright-core';
import { everyCopy } from './first-sync.js';
import type { Stack } from './stack.js';

/**
 * How much each figure measures: POSSYNC_BENCH_PUSHES / POSSYNC_BENCH_RECORDS, or the short
 * run; the shop-scale first sync (POSSYNC_BENCH_SHOP_OTHER rows of another branch's history,
 * 30 % of them shared, and POSSYNC_BENCH_SHOP_OWN rows of the till's own) only when set.
 */
export function benchSizes(): { pushes: number; records: number; shopOther: number; shopOwn: number; queryRecords: number } {
  const shopOther = Number(process.env.POSSYNC_BENCH_SHOP_OTHER ?? 0);
  return {
    pushes: Number(process.env.POSSYNC_BENCH_PUSHES ?? 20),
    records: Number(process.env.POSSYNC_BENCH_RECORDS ?? 5_000),
    shopOther,
    shopOwn: Number(process.env.POSSYNC_BENCH_SHOP_OWN ?? Math.round(shopOther / 30)),
    queryRecords: Number(process.env.POSSYNC_BENCH_QUERY_RECORDS ?? 5_000),
  };
}

/** Put in a page before its bundle: stamps the moment each batch-push request leaves. */
export const stampPushes = () => {
  const w = window as any;
  const original = window.fetch.bind(window);
  w.pushSentAt = 0;
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input instanceof Request ? input.url : input).includes('/api/sync/batch-push')) {
      w.pushSentAt = performance.timeOrigin + performance.now();
    }
    return original(input, init);
  };
};

/** Nearest-rank percentile of `values` (ms). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Latencies {
  /** batch-push request sent by A → record committed in B's IndexedDB. */
  fromPush: number[];
  /** `engine.put` called on A (includes the 50 ms push gathering delay) → committed in B. */
  fromWrite: number[];
}

/**
 * `count` single-record writes on `a` (whose page ran {@link stampPushes}), one after the
 * other, each timed until `b`'s engine has committed it.
 */
export async function pushToOtherPage(a: Page, b: Page, count: number): Promise<Latencies> {
  await b.evaluate(() => {
    const w = window as any;
    w.arrivals = new Map<string, number>();
    w.engine.on('change', async () => {
      const at = performance.timeOrigin + performance.now();
      const id = w.awaiting as string | null;
      if (id && (await w.engine.get('customers', id))) {
        w.arrivals.set(id, at);
        w.awaiting = null;
      }
    });
  });
  const latencies: Latencies = { fromPush: [], fromWrite: [] };
  for (let i = 0; i < count; i++) {
    const id = `bench-push-${i}`;
    await b.evaluate((id) => ((window as any).awaiting = id), id);
    const writtenAt = await a.evaluate(async (id) => {
      const at = performance.timeOrigin + performance.now();
      await (window as any).engine.put('customers', id, { name: `bench ${id}` });
      return at;
    }, id);
    await b.waitForFunction((id) => (window as any).arrivals.has(id), id, { polling: 5, timeout: 60_000 });
    const arrivedAt: number = await b.evaluate((id) => (window as any).arrivals.get(id), id);
    const pushedAt: number = await a.evaluate(() => (window as any).pushSentAt);
    latencies.fromPush.push(arrivedAt - pushedAt);
    latencies.fromWrite.push(arrivedAt - writtenAt);
  }
  return latencies;
}

/** `count` customers pushed from Node straight to ingest: batches of 50, `parallel` at a time. */
export async function seedRecords(stack: Stack, count: number, parallel = 4): Promise<number> {
  const started = performance.now();
  const login = await fetch(`${stack.ingest}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'cashier1', password: 'password' }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const batches = Math.ceil(count / 50);
  let next = 0;
  const worker = async () => {
    for (let batch = next++; batch < batches; batch = next++) {
      const records = [];
      for (let i = batch * 50; i < Math.min(count, batch * 50 + 50); i++) {
        records.push({ table_name: 'customers', record_id: `seed-${i}`, data: { name: `Customer ${i}`, phone: `555-${i}` }, local_updated_at: new Date().toISOString() });
      }
      const answer = await fetch(`${stack.ingest}/api/sync/batch-push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ device_id: 'bench-seed', records }),
      });
      const body = (await answer.json()) as { synced_count?: number };
      if (!answer.ok || body.synced_count !== records.length) throw new Error(`seed push ${answer.status}: ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return (performance.now() - started) / 1000;
}

/** One full sync of `page`'s till, timed in the page: seconds and changes pulled. */
export async function timedSync(page: Page): Promise<{ seconds: number; pulled: number; stored: number }> {
  const figure = await page.evaluate(async () => {
    const engine = (window as any).engine;
    const started = performance.now();
    const report = await engine.sync();
    return { seconds: (performance.now() - started) / 1000, pulled: report.pulled as number };
  });
  return { ...figure, stored: (await page.evaluate(everyCopy)).length };
}
