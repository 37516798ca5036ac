// Bundles the package for browsers (minified) and checks its gzip size against the budgets:
// the package alone (Dexie is a peer dependency: the app brings it) and with Dexie, as an
// app ships it. platform=browser makes any Node-only import (fs, node:*, …) fail the build.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

// With Dexie: 45 KiB until the packed copies (`copies.ts`, +0.8 KiB) brought a first sync of
// 100,000 records from 8.4-8.8 s to about 2 s in Chromium; 47 KiB with the data handover
// (`handover.ts`) and the fixes of issue 24 (2026-12-04).
export const BUDGETS = { package: 17 * 1024, withDexie: 47 * 1024 }; // min+gz

async function bundle(withDexie) {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external: withDexie ? [] : ['dexie'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length };
}

/** Sizes of the package alone and with Dexie, in bytes. */
export async function measure() {
  return { package: await bundle(false), withDexie: await bundle(true) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await measure();
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  let over = false;
  for (const [name, { min, gz }] of Object.entries(sizes)) {
    console.log(`browser bundle, ${name}: ${kib(min)} minified, ${kib(gz)} min+gz (budget ${kib(BUDGETS[name])})`);
    over ||= gz > BUDGETS[name];
  }
  if (over) {
    console.error('over a size budget');
    process.exit(1);
  }
}
