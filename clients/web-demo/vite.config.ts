// Builds the till; `shellWorker` writes sw.js with the list of this build's files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

function shellWorker(): Plugin {
  return {
    name: 'possync-shell-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => !f.endsWith('.map'));
      const shell = ['/', '/index.html', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png', ...files.filter((f) => f !== 'index.html').map((f) => `/${f}`)];
      const version = createHash('sha256').update(shell.join()).digest('hex').slice(0, 12);
      const source = readFileSync(new URL('./src/sw.template.js', import.meta.url), 'utf8')
        .replace('__VERSION__', version)
        .replace('__SHELL__', JSON.stringify(shell));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

export default defineConfig({
  build: { target: 'es2022' },
  resolve: { dedupe: ['dexie'] },
  plugins: [shellWorker()],
  preview: { host: '127.0.0.1', port: 3003, strictPort: true },
});
