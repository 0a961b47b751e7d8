// @ts-check
// Hocuspocus 4 with its defaults, alone or (HOCUSPOCUS_SQLITE=<file>) with @hocuspocus/extension-sqlite,
// plus GET /stats (documents and connections in memory) through an onRequest hook.
import { Server } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';

/** @type {any[]} */
const extensions = [];
if (process.env.HOCUSPOCUS_SQLITE) extensions.push(new SQLite({ database: process.env.HOCUSPOCUS_SQLITE }));
extensions.push({
  /** @param {{ request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse, instance: any }} payload */
  async onRequest({ request, response, instance }) {
    if (request.url !== '/stats') return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ docs: instance.getDocumentsCount(), connections: instance.getConnectionsCount() }));
    // A rejection without an error stops Hocuspocus's default answer.
    throw null;
  },
});
const server = new Server({ port: Number(process.env.PORT), address: '127.0.0.1', quiet: true, extensions });
await server.listen();
