import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app: its assets, and its index.html for every page the app routes by path
 * (web/src/main.ts): home, a document, sign-in and registration, people, chats, sessions. Throws at
 * start-up if the folder has no index.html, so a missing build is obvious.
 */
export const APP_PAGES = ['/', '/d/:id', '/signin', '/register', '/people', '/chats', '/chats/:id', '/sessions'] as const;

export async function webRoutes(app: FastifyInstance, { root }: { root: string }): Promise<void> {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`no built web app in ${root} (run "npm run build")`);
  }
  await app.register(fastifyStatic, { root, index: false, wildcard: true });
  for (const page of APP_PAGES) app.get(page, (_request, reply) => reply.sendFile('index.html'));
}
