/**
 * Starts what the browser tests run against: ingest and fanout (binaries from target/), a
 * database of their own on POSSYNC_TEST_MYSQL (default mysql://root@127.0.0.1:3306) seeded
 * with the demo tenant, a NATS stream and subject prefix of their own on POSSYNC_TEST_NATS
 * (default nats://127.0.0.1:4222), and a small HTTP server that serves the test page and
 * the package bundle and proxies /api to ingest, so the page and the API share one origin.
 * Ingest also allows the page's origin (CORS_ALLOWED_ORIGINS), so a till may call it
 * directly at `ingest`, cross-origin. The WebSocket goes straight to fanout (no CORS for
 * sockets; WS_ALLOWED_ORIGINS is set to the page's origin).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';

const repo = new URL('../../../', import.meta.url).pathname;

export interface Stack {
  origin: string;
  wsUrl: string;
  ingest: string;
  /** Runs SQL in the stack's own database (the `mariadb` client); returns its tab-separated rows. */
  sql(statement: string): string;
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
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become healthy`);
}

function binDir(): string {
  const candidates = [process.env.POSSYNC_BIN, `${repo}target/debug`, `${repo}target/release`].filter(Boolean) as string[];
  const dir = candidates.find((d) => ['ingest', 'fanout', 'possync-admin'].every((b) => existsSync(`${d}/${b}`)));
  if (!dir) throw new Error(`ingest, fanout and possync-admin not found in ${candidates.join(', ')}: cargo build -p ingest -p fanout`);
  return dir;
}

export async function startStack(accessTtlSecs: number): Promise<Stack> {
  const bin = binDir();
  const mysql = new URL(process.env.POSSYNC_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306');
  const natsUrl = process.env.POSSYNC_TEST_NATS ?? 'nats://127.0.0.1:4222';
  const tag = randomBytes(4).toString('hex');
  const database = `possync_ts_${tag}`;
  const mariadb = (sql: string, ...args: string[]) =>
    execFileSync('mariadb', ['--protocol=tcp', '-h', mysql.hostname, '-P', mysql.port || '3306', '-u', mysql.username || 'root', ...(mysql.password ? [`-p${decodeURIComponent(mysql.password)}`] : []), ...args, '-e', sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
  mariadb(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const databaseUrl = `${mysql.protocol}//${mysql.username || 'root'}${mysql.password ? `:${mysql.password}` : ''}@${mysql.host}/${database}`;
  const [ingestPort, fanoutPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${pagePort}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    NATS_SUBJECT_PREFIX: `ts${tag}`,
    NATS_STREAM: `TS${tag.toUpperCase()}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    JWT_ACCESS_TTL_SECS: String(accessTtlSecs),
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
  const ingestChild = run('ingest', ingestPort);
  const fanoutChild = run('fanout', fanoutPort);
  const ingest = `http://127.0.0.1:${ingestPort}`;
  await waitHealthy(`${ingest}/healthz`, ingestChild, 'ingest');
  await waitHealthy(`http://127.0.0.1:${fanoutPort}/healthz`, fanoutChild, 'fanout');

  const bundle = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'possync',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const page = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/')) {
      const upstream = http.request(`${ingest}${url}`, { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${ingestPort}` } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    if (url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><meta charset="utf-8"><title>possync test till</title><script src="/bundle.js"></script>');
  });
  await new Promise<void>((r) => page.listen(pagePort, '127.0.0.1', r));

  return {
    origin,
    wsUrl: `ws://127.0.0.1:${fanoutPort}`,
    ingest,
    sql: (statement) => mariadb(statement, '-D', database, '-N', '-B'),
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
