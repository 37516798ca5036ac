/**
 * What the demo's end-to-end tests run against, as clients/typescript/test-browser/stack.ts
 * does: ingest and fanout (binaries from target/debug, or POSSYNC_BIN) with a database of
 * their own on POSSYNC_TEST_MYSQL seeded with the demo tenant and a NATS stream and subject
 * prefix of their own on POSSYNC_TEST_NATS; plus a static server for the built demo (dist/)
 * on another origin, which ingest's CORS_ALLOWED_ORIGINS and fanout's WS_ALLOWED_ORIGINS allow.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const repo = new URL('../../../', import.meta.url).pathname;
const dist = new URL('../dist/', import.meta.url).pathname;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

export interface Stack {
  /** The demo's origin. */
  origin: string;
  ingest: string;
  wsUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitHealthy(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become healthy`);
}

function binDir(): string {
  const candidates = [process.env.POSSYNC_BIN, `${repo}target/debug`, `${repo}target/release`].filter(Boolean) as string[];
  const dir = candidates.find((d) => ['ingest', 'fanout', 'possync-admin'].every((b) => existsSync(`${d}/${b}`)));
  if (!dir) throw new Error(`ingest, fanout and possync-admin not found in ${candidates.join(', ')}: cargo build --bins`);
  return dir;
}

/** Serves dist/ (an unknown path is the app shell, as a single-page app's server does). */
function serveDemo(): http.Server {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/ is missing: npm run build');
  return http.createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = existsSync(join(dist, path)) && extname(path) ? join(dist, path) : join(dist, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
}

export async function startStack(): Promise<Stack> {
  const bin = binDir();
  const mysql = new URL(process.env.POSSYNC_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306');
  const tag = randomBytes(4).toString('hex');
  const database = `possync_demo_${tag}`;
  const mariadb = (sql: string) =>
    execFileSync('mariadb', ['--protocol=tcp', '-h', mysql.hostname, '-P', mysql.port || '3306', '-u', mysql.username || 'root', ...(mysql.password ? [`-p${decodeURIComponent(mysql.password)}`] : []), '-e', sql]);
  mariadb(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const [ingestPort, fanoutPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${pagePort}`;
  const env = {
    ...process.env,
    DATABASE_URL: `${mysql.protocol}//${mysql.username || 'root'}${mysql.password ? `:${mysql.password}` : ''}@${mysql.host}/${database}`,
    NATS_URL: process.env.POSSYNC_TEST_NATS ?? 'nats://127.0.0.1:4222',
    NATS_SUBJECT_PREFIX: `demo${tag}`,
    NATS_STREAM: `DEMO${tag.toUpperCase()}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    WS_ALLOWED_ORIGINS: origin,
    CORS_ALLOWED_ORIGINS: origin,
    DATABASE_MAX_CONNECTIONS: '5',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  execFileSync(`${bin}/possync-admin`, ['seed-demo'], { env, stdio: 'ignore' });
  const children: ChildProcess[] = [];
  const run = (name: string, port: number) => {
    const child = spawn(`${bin}/${name}`, [], { env: { ...env, BIND_ADDR: `127.0.0.1:${port}` }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const ingest = `http://127.0.0.1:${ingestPort}`;
  const ingestChild = run('ingest', ingestPort);
  const fanoutChild = run('fanout', fanoutPort);
  await waitHealthy(`${ingest}/healthz`, ingestChild, 'ingest');
  await waitHealthy(`http://127.0.0.1:${fanoutPort}/healthz`, fanoutChild, 'fanout');
  const page = serveDemo();
  await new Promise<void>((r) => page.listen(pagePort, '127.0.0.1', r));

  return {
    origin,
    ingest,
    wsUrl: `ws://127.0.0.1:${fanoutPort}`,
    async stop() {
      page.closeAllConnections?.();
      await new Promise((r) => page.close(r));
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
      try {
        mariadb(`DROP DATABASE ${database}`);
      } catch {
        /* best effort */
      }
    },
  };
}
