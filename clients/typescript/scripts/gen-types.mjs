// The wire types' one source of truth is the server's OpenAPI document. This turns the
// committed snapshot `openapi.json` into `src/generated/openapi.ts` (the types) and
// `src/generated/rules.ts` (each table's declared fields, as the server checks them).
//   node scripts/gen-types.mjs                  regenerate from the snapshot
//   node scripts/gen-types.mjs --from URL       fetch URL/api/openapi.json into the snapshot first
//   node scripts/gen-types.mjs --check          fail when the generated file is out of date
import { readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

const snapshot = new URL('../openapi.json', import.meta.url);
const targets = {
  types: new URL('../src/generated/openapi.ts', import.meta.url),
  rules: new URL('../src/generated/rules.ts', import.meta.url),
};
const HEADER =
  '/**\n * Generated from openapi.json (the server\'s /api/openapi.json) by `npm run gen:types`.\n * Do not edit: regenerate.\n */\n\n';

/** The generated files' texts, by name of `targets`. */
export async function generate() {
  const document = JSON.parse(await readFile(snapshot, 'utf8'));
  return { types: HEADER + astToString(await openapiTS(document)), rules: HEADER + rulesModule(document) };
}

export async function committed() {
  return { types: await readFile(targets.types, 'utf8'), rules: await readFile(targets.rules, 'utf8') };
}

/**
 * What the server's `registry::Field::check` accepts, read back from the JSON Schema it
 * publishes for one field (`services/ingest/src/openapi.rs::field_schema`). A shape it does
 * not know fails the generation: the server learned a kind this client cannot check yet.
 */
function kindOf(table, name, schema) {
  const { type, oneOf, minimum, exclusiveMinimum, format, enum: values } = schema;
  if (oneOf?.some((s) => s.type === 'string') && oneOf.some((s) => s.type === 'integer')) return ['reference'];
  if (type === 'string' && values) return ['one_of', values];
  if (type === 'string' && format === 'date-time') return ['timestamp'];
  if (type === 'string' && schema.minLength === 1) return ['text'];
  if (type === 'number' && minimum === 0) return ['amount'];
  if (type === 'number' && exclusiveMinimum === 0) return ['positive'];
  if (type === 'number' && minimum === undefined && exclusiveMinimum === undefined) return ['counter'];
  throw new Error(`${table}.data.${name}: a field schema this generator does not know: ${JSON.stringify(schema)}`);
}

/** `src/generated/rules.ts`: each table's scope, who writes it and its declared fields. */
function rulesModule(document) {
  const lines = [];
  for (const [key, schema] of Object.entries(document.components.schemas)) {
    if (!key.endsWith('.data')) continue;
    const table = key.slice(0, -'.data'.length);
    const required = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties ?? {}).map(([name, property]) => {
      const inner = property.oneOf?.find((s) => s.type !== 'null' && !required.has(name)) ?? property;
      return [name, ...kindOf(table, name, required.has(name) ? property : inner)];
    });
    const spec = fields.map(([name, kind, values]) =>
      `    ${name}: { kind: '${kind}', required: ${required.has(name)}${values ? `, values: ${JSON.stringify(values)}` : ''} },`,
    );
    lines.push(
      `  ${table}: {`,
      `    scope: '${schema['x-possync-scope']}', adminWrite: ${schema['x-possync-admin-write']}, fields: {`,
      ...spec.map((l) => `  ${l}`),
      '    },',
      '  },',
    );
  }
  return [
    "/** What a field's value must be (`wire/src/registry.rs`'s `Kind`). */",
    "export type FieldKind = 'text' | 'reference' | 'amount' | 'positive' | 'counter' | 'timestamp' | 'one_of';",
    '',
    'export interface FieldRule {',
    '  kind: FieldKind;',
    '  required: boolean;',
    '  /** The allowed values of a `one_of` field. */',
    '  values?: readonly string[];',
    '}',
    '',
    'export interface TableRule {',
    "  scope: 'client' | 'branch';",
    '  adminWrite: boolean;',
    '  fields: Readonly<Record<string, FieldRule>>;',
    '}',
    '',
    '/** Every synced table\'s declared fields, as the server checks a write\'s `data`. */',
    'export const RULES = {',
    ...lines,
    '} as const satisfies Record<string, TableRule>;',
    '',
  ].join('\n');
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
  const current = await committed();
  if (args.includes('--check')) {
    const stale = Object.keys(targets).filter((name) => fresh[name] !== current[name]);
    if (stale.length > 0) {
      console.error(`src/generated (${stale.join(', ')}) is out of date with openapi.json: run \`npm run gen:types\``);
      process.exit(1);
    }
    console.log('generated types and rules match openapi.json');
  } else {
    for (const [name, url] of Object.entries(targets)) await writeFile(url, fresh[name]);
    console.log('wrote src/generated/openapi.ts and src/generated/rules.ts');
  }
}
