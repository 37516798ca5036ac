/**
 * The real stack and the Chromium of every browser test in this repository, shared by the
 * package's tests (./stack.ts) and the web demo's (clients/web-demo/e2e/stack.ts): ingest
 * and fanout (binaries from target/, or POSSYNC_BIN) with a database of their own on
 * POSSYNC_TEST_MYSQL (default mysql://root@127.0.0.1:3306) seeded with the demo tenant, a
 * NATS stream and subject prefix of their own on POSSYNC_TEST_NATS (default
 * nats://127.0.0.1:4222), and the caller's page: on an origin of its own, which ingest
 * (CORS_ALLOWED_ORIGINS) and fanout (WS_ALLOWED_ORIGINS) allow, or served by ingest itself
 * (`webRoot`, ingest's WEB_ROOT, as `scripts/run-stack.sh` serves the web demo). For an
 * operator's drill it runs `possync-admin` on the stack's database and restarts a service
 * on its port (`docs/operations.md`, "Restore and failover").
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** The repository's root. */
export const repo = new URL('../../../', import.meta.url).pathname;

export interface Stack {
  /** The page's origin. */
  origin: string;
  ingest: string;
  wsUrl: string;
  /** Runs SQL in the stack's own database (the `mariadb` client); returns its tab-separated rows. */
  sql(statement: string): string;
  /** DATABASE_URL of the stack's own database. */
  databaseUrl: string;
  /** Runs `possync-admin ARGS` on the stack's database (its environment); returns what it printed. */
  admin(...args: string[]): string;
  /**
   * Stops `service`, awaits `whileDown` (a restore, say), starts it again on the same port
   * and waits until it is healthy: the page and its tills keep their addresses.
   */
  restart(service: Service, whileDown?: () => unknown): Promise<void>;
  stop(): Promise<void>;
}

/** The services a stack runs. */
export type Service = 'ingest' | 'fanout';

/** What serves the page: started on `port` once ingest and fanout answer. */
export type PageServer = (port: number, stack: Omit<Stack, 'origin' | 'stop'>) => Promise<{ stop(): Promise<void> }>;

export interface StackOptions {
  /** Names the database (`possync_<name>_<tag>`), the subject prefix and the stream. */
  name: string;
  /** JWT_ACCESS_TTL_SECS of ingest (its default when left out). */
  accessTtlSecs?: number;
  /** A page server of the test's own, or `{ webRoot }`: a built app ingest serves on its origin. */
  page: PageServer | { webRoot: string };
}

/** Debian's Chromium (CHROMIUM_PATH to use another), never a downloaded one. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Polls `url` until it answers 2xx (30 s), failing early when `child` exits. */
export async function waitHealthy(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become healthy`);
}

/** SIGTERM, then waits until it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function binDir(): string {
  const candidates = [process.env.POSSYNC_BIN, `${repo}target/debug`, `${repo}target/release`].filter(Boolean) as string[];
  const dir = candidates.find((d) => ['ingest', 'fanout', 'possync-admin'].every((b) => existsSync(`${d}/${b}`)));
  if (!dir) throw new Error(`ingest, fanout and possync-admin not found in ${candidates.join(', ')}: cargo build --bin ingest --bin possync-admin --bin fanout`);
  return dir;
}

/** The `mariadb` client on POSSYNC_TEST_MYSQL: runs `sql` with `args` and returns its output. */
function mariadbOn(mysql: URL) {
  const login = ['--protocol=tcp', '-h', mysql.hostname, '-P', mysql.port || '3306', '-u', mysql.username || 'root', ...(mysql.password ? [`-p${decodeURIComponent(mysql.password)}`] : [])];
  return (sql: string, ...args: string[]) => execFileSync('mariadb', [...login, ...args, '-e', sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const bin = binDir();
  const mysql = new URL(process.env.POSSYNC_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306');
  const mariadb = mariadbOn(mysql);
  const tag = randomBytes(4).toString('hex');
  const database = `possync_${options.name}_${tag}`;
  mariadb(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const [ingestPort, fanoutPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const servedByIngest = typeof options.page !== 'function';
  const origin = `http://127.0.0.1:${servedByIngest ? ingestPort : pagePort}`;
  const databaseUrl = `${mysql.protocol}//${mysql.username || 'root'}${mysql.password ? `:${mysql.password}` : ''}@${mysql.host}/${database}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NATS_URL: process.env.POSSYNC_TEST_NATS ?? 'nats://127.0.0.1:4222',
    NATS_SUBJECT_PREFIX: `${options.name}${tag}`,
    NATS_STREAM: `${options.name}${tag}`.toUpperCase(),
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...(options.accessTtlSecs === undefined ? {} : { JWT_ACCESS_TTL_SECS: String(options.accessTtlSecs) }),
    WS_ALLOWED_ORIGINS: origin,
    CORS_ALLOWED_ORIGINS: origin,
    ...(typeof options.page === 'function' ? {} : { WEB_ROOT: options.page.webRoot }),
    DATABASE_MAX_CONNECTIONS: '5',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  const ports: Record<Service, number> = { ingest: ingestPort, fanout: fanoutPort };
  const running = new Map<Service, ChildProcess>();
  const startService = async (service: Service) => {
    const child = spawn(`${bin}/${service}`, [], { env: { ...env, BIND_ADDR: `127.0.0.1:${ports[service]}` }, stdio: ['ignore', 'ignore', 'inherit'] });
    running.set(service, child);
    await waitHealthy(`http://127.0.0.1:${ports[service]}/healthz`, child, service);
  };
  let page: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await page?.stop();
    await Promise.all([...running.values()].map(stopChild));
    try {
      mariadb(`DROP DATABASE ${database}`);
    } catch {
      /* best effort */
    }
  };
  const admin = (...args: string[]) => execFileSync(`${bin}/possync-admin`, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const restart = async (service: Service, whileDown?: () => unknown) => {
    const child = running.get(service);
    if (child) await stopChild(child);
    await whileDown?.();
    await startService(service);
  };
  try {
    admin('seed-demo');
    await Promise.all([startService('ingest'), startService('fanout')]);
    const services = {
      ingest: `http://127.0.0.1:${ingestPort}`,
      wsUrl: `ws://127.0.0.1:${fanoutPort}`,
      sql: (statement: string) => mariadb(statement, '-D', database, '-N', '-B'),
      databaseUrl,
      admin,
      restart,
    };
    if (typeof options.page === 'function') page = await options.page(pagePort, services);
    return { origin, ...services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
