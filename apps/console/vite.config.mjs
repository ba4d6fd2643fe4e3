// Vite builds the web app (web/) into dist/, which the console server serves. In development,
// `npm run console:dev` serves web/ with hot reload and proxies /api to a running console
// server (CONSOLE_SERVER_URL, default http://127.0.0.1:3000).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: resolve(import.meta.dirname, 'web'),
  plugins: [react()],
  build: { outDir: resolve(import.meta.dirname, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': process.env.CONSOLE_SERVER_URL ?? 'http://127.0.0.1:3000' } },
});
