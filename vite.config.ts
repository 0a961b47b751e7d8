import { defineConfig } from 'vite';

/** Where `npx tsx server/main.ts` listens in development. */
const SERVER = 'http://127.0.0.1:3000';

/**
 * The browser app: web/index.html is the single entry (the server serves it for `/` and `/d/<id>`),
 * built to dist/web. The dev server forwards the API, the health check and the collaboration
 * WebSocket to the real server, so `vite` can serve the app with hot reload against it.
 */
export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': SERVER,
      '/healthz': SERVER,
      '/collab': { target: SERVER, ws: true },
      '/live': { target: SERVER, ws: true },
    },
  },
});
