import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { committed, generate } from '../scripts/gen-types.mjs';
import { BUDGETS, measure } from '../scripts/size.mjs';

describe('package', () => {
  it('the committed wire types are generated from the committed OpenAPI snapshot (no drift)', async () => {
    expect(await committed()).toEqual(await generate());
  });

  it(`the browser bundle stays under its size budgets (min+gz, alone, with Dexie, with the React bindings)`, async () => {
    const sizes = await measure(); // also fails on any Node-only import
    expect(sizes.package.gz).toBeLessThan(BUDGETS.package);
    expect(sizes.withDexie.gz).toBeLessThan(BUDGETS.withDexie);
    expect(sizes.withReact.gz).toBeLessThan(BUDGETS.withReact);
    expect([sizes.package.importsReact, sizes.withReact.importsReact]).toEqual([false, true]);
  });

  it('is ESM with types in its exports map', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    // Dexie and React are the app's: peers, so that an app never ships two copies; React
    // only for the bindings' own entry point.
    expect(pkg.dependencies).toBeUndefined();
    expect(Object.keys(pkg.peerDependencies)).toEqual(['dexie', 'react']);
    expect(pkg.peerDependenciesMeta).toEqual({ react: { optional: true } });
    expect(pkg.exports['./react']).toEqual({ types: './dist/react.d.ts', default: './dist/react.js' });
  });

  it('exports what an app uses, and the engine\'s parts only under @possync/client/internals', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./internals']).toEqual({ types: './dist/internals.d.ts', default: './dist/internals.js' });
    const app = Object.keys(await import('../src/index.js')).sort();
    const internals = Object.keys(await import('../src/internals.js')).sort();
    expect(app).toEqual(['COUNTERS', 'ConflictMovedOnError', 'DEFAULT_INDEXES', 'FastifyClient', 'HttpClient', 'HttpError', 'InvalidRecordError', 'LoggedOutError', 'OfflineError', 'PendingEditsError', 'Query', 'RULES', 'SyncEngine', 'SyncTable', 'TABLES', 'Where', 'fold']);
    expect(internals).toEqual(['DEFAULT_RETRY', 'LocalStore', 'MAX_PUSH_RECORDS', 'PossyncDB', 'SyncQueue', 'WebSocketClient', 'backoffCeiling', 'backoffDelay', 'electLeader', 'memorySessionStore', 'openDatabase', 'parseRetryAfter']);
  });
});
