/**
 * What the demo's end-to-end tests run against: the real stack every browser test of the
 * repository shares (clients/typescript/test-browser/launch.ts), with the built demo (dist/)
 * served by ingest (WEB_ROOT) on its origin, as `scripts/run-stack.sh` serves it.
 */
import { launchChromium, startStack as startRealStack, type Stack } from '../../typescript/test-browser/launch.js';

export { launchChromium, type Stack };

export function startStack(): Promise<Stack> {
  return startRealStack({ name: 'demo', page: { webRoot: new URL('../dist', import.meta.url).pathname } });
}
