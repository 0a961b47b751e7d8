import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openPostgresStore } from '../../server/store/postgresStore.js';
import { connectClient, type TestClient, textOf, whenSynced } from '../helpers/clients.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redisServer.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const databases = postgresDatabases();

/** Two Tandem apps on one PostgreSQL database and one Redis: a two-process cluster in one test. */
async function twoProcesses(redisUrls: [string, string], overrides: Record<string, unknown> = {}) {
  const databaseUrl = await databases.create();
  const common = { databaseUrl, clusterRepairIntervalMs: 200, unloadGraceMs: 100, ...overrides };
  const a = await startServer({ openDocuments: true, ...common, redisUrl: redisUrls[0] });
  const b = await startServer({ openDocuments: true, ...common, redisUrl: redisUrls[1] });
  return { databaseUrl, a, b };
}

function randomEdit(client: TestClient, label: string, n: number): void {
  const text = client.doc.getText('text');
  const at = Math.floor(Math.random() * (text.length + 1));
  if (text.length > 10 && Math.random() < 0.2) text.delete(Math.min(at, text.length - 3), 2);
  else text.insert(at, `${label}${n} `);
}

/** How far `holder` has `author`'s edits: the clock of author's client id in holder's state vector. */
function clockOf(holder: TestClient, author: TestClient): number {
  return Y.decodeStateVector(Y.encodeStateVector(holder.doc)).get(author.doc.clientID) ?? 0;
}

/** The document as the store holds it, read with a fresh store connection. */
async function storedText(databaseUrl: string, docId: string): Promise<string> {
  const store = await openPostgresStore({ connectionString: databaseUrl });
  try {
    const doc = new Y.Doc();
    for (const update of (await store.load(docId)).updates) Y.applyUpdate(doc, update);
    return doc.getText('text').toString();
  } finally {
    await store.close();
  }
}

async function converged(clients: TestClient[], what: string, timeoutMs = 20_000): Promise<string> {
  await waitFor(() => clients.every((c) => textOf(c) === textOf(clients[0]!)), what, timeoutMs);
  return textOf(clients[0]!);
}

describe('cluster: several processes on PostgreSQL and Redis', () => {
  it('clients on different processes converge under concurrent random edits; presence crosses and leaves', async () => {
    const redis = await startRedis();
    // No periodic repair within the test: everything that crosses, crosses through Redis.
    const { databaseUrl, a, b } = await twoProcesses([redis.url, redis.url], { clusterRepairIntervalMs: 600_000 });
    const docId = uniqueDocId('cluster');
    const clients = [connectClient(a.collabUrl, docId), connectClient(a.collabUrl, docId), connectClient(b.collabUrl, docId), connectClient(b.collabUrl, docId)];
    await Promise.all(clients.map((c) => whenSynced(c)));
    for (let round = 0; round < 30; round++) {
      for (const [i, client] of clients.entries()) randomEdit(client, `c${i}-`, round);
      // Pacing of the workload, not a wait: rounds spaced so remote edits arrive between them (concurrency).
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const text = await converged(clients, 'all four clients to converge');
    expect(text.length).toBeGreaterThan(0);
    await waitFor(async () => (await storedText(databaseUrl, docId)) === text, 'the store to hold every update');

    // Presence from a client on A reaches a client on B, and goes when it disconnects.
    clients[0]!.provider.awareness.setLocalStateField('user', { name: 'On A' });
    await waitFor(() => clients[3]!.provider.awareness.getStates().has(clients[0]!.doc.clientID), 'presence to cross processes');
    clients[0]!.destroy();
    await waitFor(() => !clients[3]!.provider.awareness.getStates().has(clients[0]!.doc.clientID), 'presence to leave everywhere');
  });

  it('nothing is lost when Redis restarts mid-editing, or one process is cut off from it for a while', async () => {
    const redis = await startRedis();
    const proxy = await startTcpProxy(redis.port);
    // A reaches Redis directly, B through the proxy that can cut it off.
    const { databaseUrl, a, b } = await twoProcesses([redis.url, `redis://127.0.0.1:${proxy.port}`]);
    const docId = uniqueDocId('partition');
    const onA = connectClient(a.collabUrl, docId);
    const onB = connectClient(b.collabUrl, docId);
    await Promise.all([whenSynced(onA), whenSynced(onB)]);
    let n = 0;
    const typing = setInterval(() => {
      n += 1;
      randomEdit(onA, 'a', n);
      randomEdit(onB, 'b', n);
    }, 10);
    /** Waits until each client holds everything the other had typed when this was called. */
    const crossed = async (what: string) => {
      const wanted = [clockOf(onA, onA), clockOf(onB, onB)];
      await waitFor(() => clockOf(onB, onA) >= wanted[0]! && clockOf(onA, onB) >= wanted[1]!, what, 20_000);
    };
    await crossed('typing to cross between the processes');
    await redis.stop();
    // How long the outage lasts is part of what is tested (typing goes on throughout): real time.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await redis.start();
    await crossed('typing to cross again once Redis is back');
    proxy.freeze();
    // Likewise the length of the cut-off.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    proxy.thaw();
    await crossed('typing to cross again once B reaches Redis');
    clearInterval(typing);
    const text = await converged([onA, onB], 'both clients to converge');
    await waitFor(async () => (await storedText(databaseUrl, docId)) === text, 'the store to hold every update');
  });

  it('with Redis gone, each process still serves its own clients, and they converge through the store', async () => {
    const redis = await startRedis();
    const { a, b } = await twoProcesses([redis.url, redis.url]);
    await redis.stop();
    const docId = uniqueDocId('noredis');
    const onA = connectClient(a.collabUrl, docId);
    const alsoOnA = connectClient(a.collabUrl, docId);
    const onB = connectClient(b.collabUrl, docId);
    await Promise.all([whenSynced(onA), whenSynced(alsoOnA), whenSynced(onB)]);
    onA.doc.getText('text').insert(0, 'local ');
    await waitFor(() => textOf(alsoOnA) === 'local ', 'clients of the same process to sync at once');
    onB.doc.getText('text').insert(0, 'remote ');
    await converged([onA, alsoOnA, onB], 'the processes to converge through the store (repair)');
    await redis.start();
    onB.doc.getText('text').insert(0, 'again ');
    await converged([onA, alsoOnA, onB], 'cluster traffic to resume');
  });

  it('compaction in several processes never loses an update or overwrites a newer snapshot', async () => {
    const redis = await startRedis();
    const { databaseUrl, a, b } = await twoProcesses([redis.url, redis.url], { compactAfterUpdates: 7 });
    const docId = uniqueDocId('compact');
    const clients = [connectClient(a.collabUrl, docId), connectClient(b.collabUrl, docId)];
    await Promise.all(clients.map((c) => whenSynced(c)));
    for (let round = 0; round < 60; round++) {
      for (const [i, client] of clients.entries()) randomEdit(client, `k${i}-`, round);
      // Pacing of the workload, not a wait: rounds spaced so remote edits and compactions interleave.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const text = await converged(clients, 'both clients to converge');
    await waitFor(async () => (await storedText(databaseUrl, docId)) === text, 'the compacted store to hold everything');
    for (const client of clients) client.destroy();
    await waitFor(() => a.app.rooms.roomCount === 0 && b.app.rooms.roomCount === 0, 'both rooms to unload');
    expect(await storedText(databaseUrl, docId)).toBe(text);
  });

  it('kill -9 of one process: its clients reconnect to another and lose nothing; the others carry on', async () => {
    const redis = await startRedis();
    const databaseUrl = await databases.create();
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, CLUSTER_REPAIR_INTERVAL_MS: '200', OPEN_DOCUMENTS: 'true' };
    const victim = await spawnServer(env);
    const survivor = await spawnServer(env);
    const docId = uniqueDocId('failover');
    const victimUrl = `ws://127.0.0.1:${victim.port}/collab`;
    const survivorUrl = `ws://127.0.0.1:${survivor.port}/collab`;
    const onVictim = connectClient(victimUrl, docId);
    const onSurvivor = connectClient(survivorUrl, docId);
    await Promise.all([whenSynced(onVictim), whenSynced(onSurvivor)]);
    onVictim.provider.awareness.setLocalStateField('user', { name: 'Moves' });
    await waitFor(() => onSurvivor.provider.awareness.getStates().has(onVictim.doc.clientID), 'presence to cross');
    for (let i = 0; i < 20; i++) {
      onVictim.doc.getText('text').insert(0, `v${i} `);
      onSurvivor.doc.getText('text').insert(0, `s${i} `);
    }
    await waitFor(() => textOf(onSurvivor).includes('v0 '), "the victim's edits to start crossing");
    await victim.kill9();
    // Typed while its server is dead, then the client fails over to the survivor (same Y.Doc).
    onVictim.doc.getText('text').insert(0, 'after the crash ');
    await waitFor(() => !onSurvivor.provider.awareness.getStates().has(onVictim.doc.clientID), "the dead process's presence to go", 15_000);
    onVictim.provider.destroy();
    const movedDoc = onVictim.doc;
    const moved = connectClient(survivorUrl, docId, { doc: movedDoc });
    await whenSynced(moved);
    const text = await converged([moved, onSurvivor], 'the moved client and the survivor to converge');
    expect(text).toContain('after the crash');
    for (let i = 0; i < 20; i++) {
      expect(text).toContain(`v${i} `);
      expect(text).toContain(`s${i} `);
    }
    await waitFor(async () => (await storedText(databaseUrl, docId)) === text, 'the store to hold everything');
  });
});
