// Builds the React UI (src-renderer) into dist/renderer: loaded by the Electron window and served
// by `pnode node --ui`. Relative base so the same files work from file:// and from the control server.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    // One bundle by design (a local app, no network fetches); the QR code library took it past 500 kB.
    chunkSizeWarningLimit: 700,
  },
});
