/**
 * What the demo's end-to-end tests run against: the real stack every browser test of the
 * repository shares (clients/typescript/test-browser/launch.ts), and the built demo (dist/)
 * served as `scripts/run-stack.sh` serves it (`scripts/web-demo.sh --serve PORT`, Vite's
 * preview server) on an origin of its own.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { launchChromium, repo, startStack as startRealStack, stopChild, waitHealthy, type Stack } from '../../typescript/test-browser/launch.js';

export { launchChromium, type Stack };

export function startStack(): Promise<Stack> {
  return startRealStack({ name: 'demo', page: serveDemo });
}

async function serveDemo(port: number): Promise<{ stop(): Promise<void> }> {
  // The node that runs the tests also runs Vite's server, whatever PATH holds.
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  const server = spawn('bash', [`${repo}scripts/web-demo.sh`, '--serve', String(port)], { env: { ...process.env, PATH: path }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitHealthy(`http://127.0.0.1:${port}/`, server, 'the web demo (scripts/web-demo.sh --serve)');
  } catch (err) {
    await stopChild(server);
    throw err;
  }
  return { stop: () => stopChild(server) };
}
