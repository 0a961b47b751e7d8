// @ts-check
// Hocuspocus 4 with its defaults, alone or (HOCUSPOCUS_SQLITE=<file>) with @hocuspocus/extension-sqlite,
// or — one process of a cluster, given DATABASE_URL and REDIS_URL as the bench gives Tandem's — with
// @hocuspocus/extension-redis (updates and presence to the other processes through Redis pub/sub) and
// @hocuspocus/extension-database storing each document's state in PostgreSQL (Hocuspocus stores
// debounced: 2 s after a change, at most 10 s later; the Redis extension lets one process store at a
// time). Plus GET /stats (documents and connections in memory) through an onRequest hook.
import { Server } from '@hocuspocus/server';

/** @type {any[]} */
const extensions = [];
if (process.env.HOCUSPOCUS_SQLITE) {
  const { SQLite } = await import('@hocuspocus/extension-sqlite');
  extensions.push(new SQLite({ database: process.env.HOCUSPOCUS_SQLITE }));
}
if (process.env.DATABASE_URL) {
  const { Database } = await import('@hocuspocus/extension-database');
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  // The cluster's processes start together: one creates the table, the other waits for its lock.
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(20)');
    await client.query('CREATE TABLE IF NOT EXISTS hocuspocus_documents (name text PRIMARY KEY, data bytea NOT NULL)');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  extensions.push(
    new Database({
      fetch: async ({ documentName }) => {
        const { rows } = await pool.query('SELECT data FROM hocuspocus_documents WHERE name = $1', [documentName]);
        return rows[0]?.data ?? null;
      },
      store: async ({ documentName, state }) => {
        await pool.query(
          'INSERT INTO hocuspocus_documents (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data',
          [documentName, state],
        );
      },
    }),
  );
}
if (process.env.REDIS_URL) {
  const { Redis } = await import('@hocuspocus/extension-redis');
  const url = new URL(process.env.REDIS_URL);
  extensions.push(new Redis({ host: url.hostname, port: Number(url.port) }));
}
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
