// Bundles the package for browsers (with Dexie, minified) and checks its gzip size against
// the budget. platform=browser makes any Node-only import (fs, node:*, …) fail the build.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

// 45 KiB until the packed copies (`copies.ts`, +0.8 KiB) brought a first sync of 100,000
// records from 8.4-8.8 s to about 2 s in Chromium (2026-12-04).
export const BUDGET_BYTES = 46 * 1024; // min+gz, Dexie included

export async function measure() {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { min, gz } = await measure();
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`browser bundle: ${kib(min)} minified, ${kib(gz)} min+gz (budget ${kib(BUDGET_BYTES)})`);
  if (gz > BUDGET_BYTES) {
    console.error('over the size budget');
    process.exit(1);
  }
}
