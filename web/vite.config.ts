/// <reference types="vitest/config" />
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// The API the dev server and `vite preview` proxy to (a running `bca serve`).
const API = process.env.BCA_API ?? 'http://127.0.0.1:8601';
const BASE = '/app/';

/**
 * Writes `sw.js` from `sw/sw.js`, with the list of files of this build to precache (the app
 * shell) and a version that changes whenever one of them does. No inline script: the worker
 * is a file of its own at the scope `/app/`.
 */
function serviceWorker(): Plugin {
  return {
    name: 'bca-service-worker',
    apply: 'build',
    enforce: 'post',
    // After every other plugin's generateBundle: Vite drops the JS facades of CSS-only chunks
    // there, and a precache list naming a missing file would fail the worker's install.
    writeBundle(options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map') && name !== 'sw.js')
        .sort();
      // The QR decoder's WebAssembly (~1 MB) is fetched when someone scans, not by every install:
      // adding a card needs the network anyway.
      const precached = files.filter((name) => name !== 'index.html' && !/(^|\/)zxing_[^/]*\.wasm$/.test(name));
      const shell = ['', ...precached, 'manifest.webmanifest',
        'icons/icon-192.png', 'icons/icon-512.png', 'icons/icon-maskable-512.png', 'icons/favicon.png', 'favicon.ico'];
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(fileURLToPath(new URL('./sw/sw.js', import.meta.url)), 'utf8')
        .replace('__BCA_VERSION__', version)
        .replace('"__BCA_SHELL__"', JSON.stringify([...new Set(shell)].map((name) => BASE + name)));
      writeFileSync(join(options.dir ?? 'dist', 'sw.js'), source);
    },
  };
}

export default defineConfig({
  base: BASE,
  plugins: [serviceWorker()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    port: 5173,
    proxy: {
      '/v1/ws': { target: API.replace(/^http/, 'ws'), ws: true },
      '/v1': { target: API, changeOrigin: false },
      '/c/': { target: API },
      '/verify-email': { target: API },
      '/reset-password': { target: API },
    },
  },
  preview: {
    port: 4173,
    proxy: {
      '/v1/ws': { target: API.replace(/^http/, 'ws'), ws: true },
      '/v1': { target: API },
      '/c/': { target: API },
      '/verify-email': { target: API },
      '/reset-password': { target: API },
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
    environment: 'node',
  },
});
