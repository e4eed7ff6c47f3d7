import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Two pages, console.html and portal.html, sharing one bundle of React, uPlot and the pages.
 * Everything is emitted under /assets with content hashes; no inline script or style, so the
 * API can serve them under `script-src 'self'; style-src 'self'`.
 */
export default defineConfig({
  root,
  base: '/',
  mode: 'production',
  // A production React whatever NODE_ENV the caller runs under (vitest sets it to test).
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  // Vite picks the development JSX runtime when NODE_ENV is not production (vitest's is test),
  // which production React does not have.
  esbuild: { jsxDev: false },
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { console: `${root}/console.html`, portal: `${root}/portal.html` },
    },
  },
});
