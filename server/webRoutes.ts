import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app: its assets, and its index.html for `/` and `/d/<id>` (the app routes
 * by path). Throws at start-up if the folder has no index.html, so a missing build is obvious.
 */
export async function webRoutes(app: FastifyInstance, { root }: { root: string }): Promise<void> {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`no built web app in ${root} (run "npm run build")`);
  }
  await app.register(fastifyStatic, { root, index: false, wildcard: true });
  app.get('/', (_request, reply) => reply.sendFile('index.html'));
  app.get('/d/:id', (_request, reply) => reply.sendFile('index.html'));
}
