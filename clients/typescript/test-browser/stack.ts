/**
 * What the package's browser tests run against: the shared real stack (./launch.ts) with
 * ingest's access tokens living `accessTtlSecs`, and a small HTTP server of the test page:
 * the package bundled for the browser (`window.possync`), a React till on the package's
 * React bindings (`/react.html`, `react-page.ts`), and /api proxied to ingest so
 * that the page and the API share one origin. Ingest also allows the page's origin, so a
 * till may call it directly at `ingest`, cross-origin; the WebSocket goes straight to fanout.
 */
import http from 'node:http';
import { build } from 'esbuild';
import { startStack as startRealStack, type Stack } from './launch.js';

export type { Stack };

export function startStack(accessTtlSecs: number): Promise<Stack> {
  return startRealStack({ name: 'ts', accessTtlSecs, page: serveTestPage });
}

async function serveTestPage(port: number, { ingest }: { ingest: string }): Promise<{ stop(): Promise<void> }> {
  const bundle = (entry: string) =>
    build({
      entryPoints: [new URL(entry, import.meta.url).pathname],
      bundle: true,
      format: 'iife',
      globalName: 'possync',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
      write: false,
      logLevel: 'silent',
    }).then((built) => built.outputFiles[0]!.text);
  const scripts: Record<string, string> = { '/bundle.js': await bundle('../src/index.ts'), '/react.js': await bundle('./react-page.ts') };
  const api = new URL(ingest);
  const page = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/')) {
      const upstream = http.request(`${ingest}${url}`, { method: req.method, headers: { ...req.headers, host: api.host } }, (answer) => {
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
    if (scripts[url]) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(scripts[url]);
      return;
    }
    const script = url === '/react.html' ? '<div id="root"></div><script src="/react.js"></script>' : '<script src="/bundle.js"></script>';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><meta charset="utf-8"><title>possync test till</title>${script}`);
  });
  await new Promise<void>((r) => page.listen(port, '127.0.0.1', r));
  return {
    async stop() {
      page.closeAllConnections?.();
      await new Promise((r) => page.close(r));
    },
  };
}
