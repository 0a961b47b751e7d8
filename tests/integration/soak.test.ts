import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { DocStore } from '../../server/store/docStore.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { openLiveReady, registerUser } from '../helpers/accounts.js';
import { openDatabase } from '../helpers/database.js';
import { connectClient, type TestClient, textOf, whenSynced } from '../helpers/clients.js';
import { freePort, spawnServer } from '../helpers/serverProcess.js';
import { startServer, tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const unlimitedConnections = { connectionsPerSecondPerIp: 1_000_000, connectionBurstPerIp: 1_000_000 };

/** Heap in use after a full collection (the integration project runs with --expose-gc). */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (vitest.config.ts sets it for the integration project)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Connects, waits for the server's first frame, disconnects. A bare socket, not openRawSocket: its
 * per-test teardown registration would itself hold every socket of the run.
 */
function connectOnce(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', () => ws.close());
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('soak', () => {
  it('10,000 connect/disconnect cycles across documents return rooms, timers and heap to their baseline', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 10, ...unlimitedConnections });
    const docs = Array.from({ length: 100 }, () => uniqueDocId('cycle'));
    // Warm up once, so lazily created things are part of the baseline.
    await connectOnce(`${server.collabUrl}/${docs[0]}`);
    await waitFor(() => server.app.rooms.roomCount === 0, 'the warm-up room to unload');
    const baseline = { timeouts: activeTimeouts(), heap: heapAfterGc() };

    const cycles = 10_000;
    const parallel = 100;
    for (let done = 0; done < cycles; done += parallel) {
      await Promise.all(Array.from({ length: parallel }, (_, i) => connectOnce(`${server.collabUrl}/${docs[(done + i) % docs.length]}`)));
    }
    const registry = server.app.rooms;
    await waitFor(() => registry.roomCount === 0 && registry.connectionCount === 0, 'every room to unload', 20_000);
    expect(registry.unloadTimerCount).toBe(0);
    await waitFor(() => activeTimeouts() <= baseline.timeouts, 'timers back to the baseline');
    // 10,000 connections' worth of rooms and sockets would be far more than this.
    expect(heapAfterGc() - baseline.heap).toBeLessThan(16 * 1024 * 1024);
  });

  it('an open, idle connection (/collab or /live) keeps nothing of the HTTP upgrade request alive', async () => {
    const server = await startServer({ openDocuments: true, passwordHashCost: 12 });
    const ann = await registerUser(server);
    const requests: Array<WeakRef<object>> = [];
    server.app.server.prependListener('upgrade', (request: object) => requests.push(new WeakRef(request)));
    const clients = Array.from({ length: 5 }, () => connectClient(server.collabUrl, uniqueDocId('idle')));
    await Promise.all(clients.map((client) => whenSynced(client)));
    const live = await openLiveReady(server, ann);
    heapAfterGc(); // collects
    expect(requests).toHaveLength(6);
    expect(requests.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(clients.every((client) => client.provider.wsconnected)).toBe(true);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('500 clients reconnecting at once after a restart load each document exactly once', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const first = await startServer({ openDocuments: true, dataDir, port, ...unlimitedConnections });
    const docs = Array.from({ length: 50 }, () => uniqueDocId('herd'));
    const clients: TestClient[] = [];
    for (let i = 0; i < 500; i++) clients.push(connectClient(first.collabUrl, docs[i % docs.length]!));
    await waitFor(() => clients.every((c) => c.provider.synced), 'all 500 clients to sync', 30_000);
    for (const [i, docId] of docs.entries()) clients[i]!.doc.getText('text').insert(0, docId);
    await waitFor(() => clients.every((c, i) => textOf(c) === docs[i % docs.length]), 'everyone to see their document', 30_000);
    await first.close();
    await waitFor(() => clients.every((c) => !c.provider.wsconnected), 'every client to see the restart');

    const inner = openSqliteStore({ dataDir, synchronous: 'normal' });
    const loads = new Map<string, number>();
    const store: DocStore = {
      ...inner,
      async load(docId) {
        loads.set(docId, (loads.get(docId) ?? 0) + 1);
        return inner.load(docId);
      },
    };
    await startServer({ openDocuments: true, dataDir, port, store, ...unlimitedConnections });
    await waitFor(() => clients.every((c) => c.provider.synced), 'all 500 clients to reconnect and sync', 60_000);
    for (const docId of docs) expect(loads.get(docId), docId).toBe(1);
    expect(clients.every((c, i) => textOf(c) === docs[i % docs.length])).toBe(true);
  });

  it('kill -9 in a loop under concurrent editing: nothing relayed is lost, nothing doubled, the database is intact', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/collab`;
    const docId = uniqueDocId('crashloop');
    let server = await spawnServer({ DATA_DIR: dataDir, COMPACT_AFTER_UPDATES: '50', OPEN_DOCUMENTS: 'true' }, { port });
    const writers = [connectClient(url, docId), connectClient(url, docId), connectClient(url, docId)];
    await Promise.all(writers.map((w) => whenSynced(w)));
    const typed: string[] = [];
    let n = 0;
    const typing = setInterval(() => {
      for (const [w, writer] of writers.entries()) {
        n += 1;
        const token = `[${w}:${n}]`;
        const text = writer.doc.getText('text');
        text.insert(text.length === 0 ? 0 : Math.floor(Math.random() * 2) * text.length, token);
        typed.push(token);
      }
    }, 4);

    for (let cycle = 0; cycle < 4; cycle++) {
      const witness = connectClient(url, docId);
      await whenSynced(witness, `witness ${cycle}`);
      // The witness is to have been relayed some typing (60 characters, about eight tokens) before the crash.
      const seenAtSync = textOf(witness).length;
      await waitFor(() => textOf(witness).length >= seenAtSync + 60, `witness ${cycle} to be relayed some typing`, 20_000);
      let witnessed: Uint8Array | null = null;
      witness.provider.on('connection-close', () => {
        witnessed ??= Y.encodeStateAsUpdate(witness.doc);
        witness.destroy();
      });
      await server.kill9();
      await waitFor(() => witnessed !== null, 'the witness to see the crash');
      server = await spawnServer({ DATA_DIR: dataDir, COMPACT_AFTER_UPDATES: '50', OPEN_DOCUMENTS: 'true' }, { port });
      // What the server recovered on its own contains everything the witness had been sent.
      const fresh = connectClient(url, docId, { connect: false });
      fresh.provider.connect();
      await whenSynced(fresh, `fresh client ${cycle}`);
      const recovered = new Y.Doc();
      Y.applyUpdate(recovered, Y.encodeStateAsUpdate(fresh.doc));
      const before = Y.encodeStateVector(recovered);
      const beforeText = recovered.getText('text').toString();
      Y.applyUpdate(recovered, witnessed!);
      expect(Y.encodeStateVector(recovered), `cycle ${cycle}`).toEqual(before);
      expect(recovered.getText('text').toString()).toBe(beforeText);
      fresh.destroy();
    }
    clearInterval(typing);
    try {
      await waitFor(
        () => writers.every((w) => w.provider.synced && textOf(w) === textOf(writers[0]!)) && (textOf(writers[0]!).match(/\[\d+:\d+\]/g) ?? []).length === typed.length,
        'the writers to converge on every token',
        30_000,
      );
    } catch (error) {
      const seen = new Set(textOf(writers[0]!).match(/\[\d+:\d+\]/g) ?? []);
      console.error('missing', typed.filter((t) => !seen.has(t)).slice(0, 20), 'connected', writers.map((w) => [w.provider.wsconnected, w.provider.synced]), server.output());
      throw error;
    }
    const tokens = textOf(writers[0]!).match(/\[\d+:\d+\]/g) ?? [];
    expect(new Set(tokens).size).toBe(tokens.length);
    expect([...tokens].sort()).toEqual([...typed].sort());
    expect(await server.stop()).toBe(0);
    expect(openDatabase(dataDir).pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
