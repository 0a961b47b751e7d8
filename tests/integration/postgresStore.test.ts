import { Pool } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../../server/store/docStore.js';
import { openPostgresStore } from '../../server/store/postgresStore.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { postgresDatabases, whenOpened } from '../helpers/postgres.js';
import { storeContract } from '../helpers/storeContract.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const databases = postgresDatabases();

// A fresh database for every store the contract opens; `reopen` opens a second pool on the same one.
storeContract('PostgreSQL', () => {
  const url = databases.create();
  const open = () => whenOpened(url.then((connectionString) => openPostgresStore({ connectionString })));
  return { store: open(), reopen: open };
});

/** A store on `url`, closed when the test finishes. Each is its own pool, like a separate process. */
async function storeOn(url: string): Promise<DocStore> {
  const store = await openPostgresStore({ connectionString: url });
  onTestFinished(() => store.close());
  return store;
}

const encode = (text: string) => new TextEncoder().encode(text);

/** PostgreSQL's backend message: type byte, then an int32 length that counts itself and the body. */
function backendMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

/** The ErrorResponse a backend sends when pg_terminate_backend ends it. */
const TERMINATED = backendMessage(
  'E',
  Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0', 'latin1'),
);

/**
 * A proxy intercept for one connection: holds the server's bytes until its first ReadyForQuery,
 * then delivers them with a FATAL right behind, in one write, and ends the connection — a backend
 * terminated just as it opened, with both messages landing in one read of the client.
 */
function terminatedAsItOpens(): (chunk: Buffer) => { deliver: Buffer; end: boolean } {
  let held = Buffer.alloc(0);
  return (chunk) => {
    held = Buffer.concat([held, chunk]);
    for (let at = 0; at + 5 <= held.length; ) {
      const next = at + 1 + held.readInt32BE(at + 1);
      if (next > held.length) break;
      if (held[at] === 'Z'.charCodeAt(0)) return { deliver: Buffer.concat([held.subarray(0, next), TERMINATED]), end: true };
      at = next;
    }
    return { deliver: Buffer.alloc(0), end: false };
  };
}
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('PostgreSQL store shared by several processes', () => {
  it('opens an existing database again without migrating it twice', async () => {
    const url = await databases.create();
    const [first, second] = await Promise.all([storeOn(url), storeOn(url)]);
    await first.appendBatch([{ docId: 'm', update: encode('kept') }]);
    await first.close();
    const third = await storeOn(url);
    expect((await third.load('m')).updates.map(decode)).toEqual(['kept']);
    await second.check();
  });

  it('two stores appending to the same documents at once: a loadSince poller sees every row, in order', async () => {
    const url = await databases.create();
    const stores = [await storeOn(url), await storeOn(url)];
    const reader = await storeOn(url);
    const docs = ['p0', 'p1', 'p2'];
    const written = new Map<string, { seq: number; text: string }[]>(docs.map((doc) => [doc, []]));
    const writersPerStore = 4;
    const batchesPerWriter = 40;

    let writing = true;
    const seen = new Map<string, string[]>(docs.map((doc) => [doc, []]));
    let pollsWithRows = 0;
    const poll = async (doc: string) => {
      let last = 0;
      const drain = async () => {
        const since = await reader.loadSince(doc, last);
        if (since.updates.length > 0) pollsWithRows += 1;
        seen.get(doc)!.push(...since.updates.map(decode));
        last = since.lastSeq;
      };
      while (writing) await drain();
      await drain();
    };
    const write = async (store: DocStore, writer: string) => {
      const lastSeqOf = new Map<string, number>();
      for (let batch = 0; batch < batchesPerWriter; batch++) {
        const entries = Array.from({ length: 1 + Math.floor(Math.random() * 4) }, (_, j) => {
          const docId = docs[Math.floor(Math.random() * docs.length)]!;
          return { docId, update: encode(`${writer}/${batch}/${j}`) };
        });
        const seqs = await store.appendBatch(entries);
        expect(seqs).toHaveLength(entries.length);
        for (const [i, { docId, update }] of entries.entries()) {
          const seq = seqs[i]!;
          // One writer's batches follow each other: its rows of a document get increasing numbers.
          expect(seq).toBeGreaterThan(lastSeqOf.get(docId) ?? 0);
          lastSeqOf.set(docId, seq);
          written.get(docId)!.push({ seq, text: decode(update) });
        }
      }
    };

    const pollers = docs.map(poll);
    await Promise.all(
      stores.flatMap((store, s) => Array.from({ length: writersPerStore }, (_, w) => write(store, `s${s}w${w}`))),
    );
    writing = false;
    await Promise.all(pollers);

    for (const doc of docs) {
      const expected = written.get(doc)!.sort((x, y) => x.seq - y.seq).map((row) => row.text);
      expect(new Set(expected).size).toBe(expected.length);
      expect(seen.get(doc)).toEqual(expected);
      expect((await reader.load(doc)).updates.map(decode)).toEqual(expected);
    }
    // The pollers really ran while rows were being written, not only after.
    expect(pollsWithRows).toBeGreaterThan(docs.length);
  });

  it('concurrent compactions from two stores never leave an older snapshot over a newer one', async () => {
    const url = await databases.create();
    const [a, b] = [await storeOn(url), await storeOn(url)];
    for (const doc of ['c0', 'c1', 'c2']) {
      const seqs: number[] = [];
      for (let i = 0; i < 30; i++) seqs.push(...(await a.appendBatch([{ docId: doc, update: encode(`row ${i}`) }])));
      const order = seqs.map((seq, i) => ({ seq, i, key: Math.random() })).sort((x, y) => x.key - y.key);
      const later: { seq: number; text: string }[] = [];
      const results = await Promise.all([
        ...order.map(({ seq, i }) => (i % 2 === 0 ? a : b).compact(doc, encode(`snapshot through ${seq}`), seq)),
        // Rows appended meanwhile are after every snapshot and must all survive.
        ...Array.from({ length: 5 }, async (_, i) => {
          const [seq] = await b.appendBatch([{ docId: doc, update: encode(`later ${i}`) }]);
          later.push({ seq: seq!, text: `later ${i}` });
          return true;
        }),
      ]);
      expect(results[order.findIndex(({ seq }) => seq === seqs.at(-1))]).toBe(true);
      const loaded = await b.load(doc);
      expect(loaded.updates.map(decode)).toEqual([
        `snapshot through ${seqs.at(-1)}`,
        ...later.sort((x, y) => x.seq - y.seq).map((row) => row.text),
      ]);
      expect(loaded.lastSeq).toBe(later.at(-1)!.seq);
      expect(await a.compact(doc, encode('stale'), seqs.at(-2)!)).toBe(false);
      expect((await a.loadSince(doc, seqs[0]!)).updates.map(decode)[0]).toBe(`snapshot through ${seqs.at(-1)}`);
    }
  });

  it('every process deletes a deleted document while another still appends to it: no delete fails, and the last leaves nothing', async () => {
    const url = await databases.create();
    const [a, b, c] = [await storeOn(url), await storeOn(url), await storeOn(url)];
    for (let round = 0; round < 30; round++) {
      const doc = `deleted-${round}`;
      await a.appendBatch([{ docId: doc, update: encode('first') }]);
      let typing = true;
      let appended = 0;
      const appends = (async () => {
        while (typing) {
          await c.appendBatch([{ docId: doc, update: encode('typed') }]);
          appended += 1;
          // Pacing of the workload (typing speed), not a wait. An append can meet a deadlock with the
          // deletes (40P01 on "documents"); the store tries it again, so none fails here.
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await waitFor(() => appended >= 1, 'the other process to be appending');
      // The route's process deletes, and every process hears of it and deletes too.
      const deletes = await Promise.allSettled([a.delete(doc), a.delete(doc), b.delete(doc)]);
      typing = false;
      await appends;
      expect(deletes.filter((result) => result.status === 'rejected')).toEqual([]);
      await b.delete(doc);
      expect(await a.load(doc)).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
      expect(await a.describe(doc)).toBeNull();
    }
  });

  it('connections cut mid-transaction reject those calls only; the store goes on with new connections', async () => {
    const url = await databases.create();
    const store = await storeOn(url);
    const killer = new Pool({ connectionString: url, max: 1 });
    onTestFinished(() => killer.end());
    const cut = () =>
      killer.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'tandem'`,
      );

    let writing = true;
    const outcomes = { committed: 0, rejected: 0 };
    const committed: string[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; writing; i++) {
        const text = `w${w}/${i}`;
        try {
          await store.appendBatch([{ docId: 'cut', update: encode(text) }, { docId: 'cut2', update: encode(text) }]);
          outcomes.committed += 1;
          committed.push(text);
        } catch {
          outcomes.rejected += 1;
        }
      }
    });
    for (let round = 0; round < 5; round++) {
      await waitFor(() => outcomes.committed > round * 20, 'commits between cuts');
      await cut();
    }
    writing = false;
    await Promise.all(writers);
    expect(outcomes.rejected).toBeGreaterThan(0);
    // Every call that resolved is stored (a rejected one may or may not be: its COMMIT's fate is unknown).
    const stored = new Set((await store.load('cut')).updates.map(decode));
    for (const text of committed) expect(stored.has(text)).toBe(true);
    await store.appendBatch([{ docId: 'cut', update: encode('after') }]);
    await store.check();
  });

  it('a connection terminated as it opens (its FATAL read with its ReadyForQuery) fails that call only, with no unheard error', async () => {
    const url = new URL(await databases.create());
    const proxy = await startTcpProxy(Number(url.port || 5432));
    url.port = String(proxy.port);
    // Opening migrates over one connection, which then waits idle in the pool.
    const store = await storeOn(url.toString());
    proxy.interceptNew(terminatedAsItOpens);
    // The first call takes the idle connection; the pool opens a new one for each of the others.
    const outcomes = await Promise.allSettled(
      ['idle', 'new 1', 'new 2', 'new 3'].map((text) => store.appendBatch([{ docId: 'opening', update: encode(text) }])),
    );
    proxy.interceptNew(null);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    await store.appendBatch([{ docId: 'opening', update: encode('after') }]);
    expect((await store.load('opening')).updates.map(decode)).toEqual(['idle', 'after']);
    await store.check();
  });

  it('the app on DATABASE_URL: two clients edit, and a restarted app on the same database keeps the document', async () => {
    const databaseUrl = await databases.create();
    const first = await startServer({ openDocuments: true, databaseUrl });
    const docId = uniqueDocId('pg');
    const alice = connectClient(first.collabUrl, docId);
    const bob = connectClient(first.collabUrl, docId);
    await Promise.all([whenSynced(alice, 'alice'), whenSynced(bob, 'bob')]);
    for (let i = 0; i < 20; i++) {
      alice.doc.getText('text').insert(0, 'a');
      bob.doc.getText('text').insert(textOf(bob).length, 'b');
      await new Promise((resolve) => setImmediate(resolve));
    }
    alice.doc.getText('title').insert(0, 'On PostgreSQL');
    await waitFor(
      () => textOf(alice).length === 40 && textOf(alice) === textOf(bob) && textOf(bob, 'title') === 'On PostgreSQL',
      'alice and bob to converge',
    );
    const expected = textOf(alice);

    // What each saw came from the other through the server, which relays only what is committed.
    const store = await storeOn(databaseUrl);
    const stored = new Y.Doc();
    for (const update of (await store.load(docId)).updates) Y.applyUpdate(stored, update);
    expect(stored.getText('text').toString()).toBe(expected);
    const details = await fetch(`${first.httpUrl}/api/docs/${docId}`).then((response) => response.json());
    expect(details).toMatchObject({ id: docId, storedBytes: expect.any(Number) });

    alice.destroy();
    bob.destroy();
    await first.close();

    const second = await startServer({ openDocuments: true, databaseUrl });
    const reader = connectClient(second.collabUrl, docId);
    await whenSynced(reader, 'reader');
    expect(textOf(reader)).toBe(expected);
    expect(textOf(reader, 'title')).toBe('On PostgreSQL');
    await waitFor(async () => (await store.describe(docId))?.title === 'On PostgreSQL', 'the listed title');
  });
});
