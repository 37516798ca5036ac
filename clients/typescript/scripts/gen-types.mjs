// The wire types' one source of truth is the server's OpenAPI document. This turns the
// committed snapshot `openapi.json` into `src/generated/openapi.ts`.
//   node scripts/gen-types.mjs                  regenerate from the snapshot
//   node scripts/gen-types.mjs --from URL       fetch URL/api/openapi.json into the snapshot first
//   node scripts/gen-types.mjs --check          fail when the generated file is out of date
import { readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

const snapshot = new URL('../openapi.json', import.meta.url);
const target = new URL('../src/generated/openapi.ts', import.meta.url);
const HEADER =
  '/**\n * Generated from openapi.json (the server\'s /api/openapi.json) by `npm run gen:types`.\n * Do not edit: regenerate.\n */\n\n';

export async function generate() {
  const document = JSON.parse(await readFile(snapshot, 'utf8'));
  return HEADER + astToString(await openapiTS(document));
}

export async function committed() {
  return readFile(target, 'utf8');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const from = args.indexOf('--from');
  if (from >= 0) {
    const base = args[from + 1].replace(/\/+$/, '');
    const response = await fetch(`${base}/api/openapi.json`);
    if (!response.ok) throw new Error(`${base}/api/openapi.json answered ${response.status}`);
    await writeFile(snapshot, JSON.stringify(await response.json(), null, 2) + '\n');
  }
  const fresh = await generate();
  if (args.includes('--check')) {
    if (fresh !== (await committed())) {
      console.error('src/generated/openapi.ts is out of date with openapi.json: run `npm run gen:types`');
      process.exit(1);
    }
    console.log('generated types match openapi.json');
  } else {
    await writeFile(target, fresh);
    console.log('wrote src/generated/openapi.ts');
  }
}
