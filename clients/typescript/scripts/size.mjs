// Bundles the package for browsers (minified) and checks its gzip size against the budgets:
// the package alone (Dexie is a peer dependency: the app brings it), with Dexie, as an app
// ships it, and with the React bindings (`@possync/client/react`; React is the app's).
// platform=browser makes any Node-only import (fs, node:*, …) fail the build.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

// With Dexie: 45 KiB until the packed copies (`copies.ts`, +0.8 KiB) brought a first sync of
// 100,000 records from 8.4-8.8 s to about 2 s in Chromium; 47 KiB with the data handover
// (`handover.ts`) and the fixes of issue 24 (2026-12-04).
// 19 / 51 KiB with typed tables (the generated rules, 1.3 KiB), local queries and live
// queries (issue 24, 2026-12-04): the package was 14.5 KiB, with Dexie 46.4 KiB.
// 20 / 52 / 21 KiB with the verification against the server's checksums (`verify.ts`, its
// CRC-32 and the table repair: +1.0 KiB; 18.4 / 50.4 / 18.6 → 19.4 / 51.4 / 19.6 KiB).
// 21 / 53 / 21 KiB with the reconcile after a restore (`reconcile.ts`: acknowledged edits
// pushed again, a resync that replaces the copy and drops packed copies the server lost:
// +0.8 KiB; 19.4 / 51.4 / 19.6 → 20.2 / 52.2 / 20.4 KiB). Without it a restored server
// silently loses the tills' acknowledged sales.
export const BUDGETS = { package: 21 * 1024, withDexie: 53 * 1024, withReact: 21 * 1024 }; // min+gz

async function bundle(withDexie, withReact = false) {
  const src = new URL('../src/', import.meta.url).pathname;
  const result = await build({
    stdin: {
      contents: `export * from './index.ts';${withReact ? " export * from './react.ts';" : ''}`,
      resolveDir: src,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external: withDexie ? ['react'] : ['dexie', 'react'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const importsReact = /from\s*"react"/.test(result.outputFiles[0].text);
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length, importsReact };
}

/** Sizes of the package alone, with Dexie, and with the React bindings, in bytes. */
export async function measure() {
  return { package: await bundle(false), withDexie: await bundle(true), withReact: await bundle(false, true) };
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
