import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { AccountStore } from '../../server/accounts/accountStore.js';
import type { RoomRegistry } from '../../server/collab/roomRegistry.js';
import { defaultConfig, type HistoryConfig } from '../../server/config.js';
import { checkpointState, restoreUpdate } from '../../server/history/historyCompute.js';
import { HistoryService } from '../../server/history/historyService.js';
import { HistoryThread } from '../../server/history/historyThread.js';
import type { LiveHub } from '../../server/live/liveHub.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { tempDataDir } from '../helpers/testServer.js';

// Checkpoints change how a version's state is read (from the nearest checkpoint instead of the log's
// start), never what is shown: every version's content and changes, and every restore, are compared
// with and without them, on a randomized history of two authors, before and after thinning.

const docId = 'cp';
const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

function service(store: ReturnType<typeof openSqliteStore>, thread: HistoryThread, config: Partial<HistoryConfig>): HistoryService {
  return new HistoryService({
    store,
    thread,
    registry: { peek: () => undefined } as unknown as RoomRegistry,
    accounts: { getUser: async (id: string) => ({ id, name: id }) } as unknown as AccountStore,
    live: { push: () => undefined } as unknown as LiveHub,
    config: { ...defaultConfig, ...config },
    log: silent,
  });
}

/** Random edits of a ProseMirror-shaped body: text typed and deleted, paragraphs and headings added and removed, bold, heading levels. */
function edit(doc: Y.Doc, random: () => number): void {
  const body = doc.getXmlFragment(BODY_FRAGMENT);
  const pick = (n: number) => Math.floor(random() * n);
  const roll = random();
  if (body.length === 0 || roll < 0.1) {
    const element = new Y.XmlElement(random() < 0.3 ? 'heading' : 'paragraph');
    if (element.nodeName === 'heading') element.setAttribute('level', String(1 + pick(3)));
    element.insert(0, [new Y.XmlText(`p${pick(1000)} `)]);
    body.insert(pick(body.length + 1), [element]);
    return;
  }
  const element = body.get(pick(body.length)) as Y.XmlElement;
  if (roll < 0.15 && body.length > 1) return body.delete(body.toArray().indexOf(element), 1);
  if (roll < 0.2 && element.nodeName === 'heading') return element.setAttribute('level', String(1 + pick(3)));
  const text = element.get(0) as Y.XmlText;
  const at = pick(text.length + 1);
  if (roll < 0.6) text.insert(at, 'abcdefghij'.slice(0, 1 + pick(6)));
  else if (roll < 0.85) text.delete(at, Math.min(1 + pick(4), text.length - at));
  else text.format(at, Math.min(1 + pick(5), text.length - at), { strong: random() < 0.7 ? {} : null });
}

describe('version checkpoints', () => {
  it('open, changes and restore give the same with checkpoints as replayed from the log, before and after thinning', async () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`historyCheckpoints seed: ${seed} (TEST_SEED=${seed} replays it)`);
    const random = seededRandom(seed);
    const dir = tempDataDir();
    const store = openSqliteStore({ dataDir: dir, synchronous: 'normal' });
    const thread = new HistoryThread();
    // Every version due a checkpoint (threshold 0): the most checkpoints, the most reads from them.
    const keepAll = service(store, thread, { versionCheckpointBytes: 0 });
    const authors = ['u:ann', 'g:guest'];
    const docs = [new Y.Doc(), new Y.Doc()];
    const pending: Array<{ docId: string; update: Uint8Array; author: string }> = [];
    docs.forEach((doc, i) =>
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === 'peer') return;
        pending.push({ docId, update, author: authors[i]! });
        Y.applyUpdate(docs[1 - i]!, update, 'peer');
      }),
    );
    let lastSeq = 0;
    for (let round = 0; round < 14; round++) {
      const doc = docs[round % 2]!;
      for (let i = 0; i < 25; i++) doc.transact(() => edit(doc, random));
      lastSeq = (await store.appendBatch(pending.splice(0))).at(-1)!;
      if (round % 3 === 2) await store.compact(docId, Y.encodeStateAsUpdate(docs[0]!), lastSeq);
      // Every third version is named (kept for ever): thinning keeps those, merging the rest.
      if (round % 3 === 0) await keepAll.create(docId, 'named', `round ${round}`, authors[round % 2]!);
      else await store.history.createVersion(docId, { kind: 'auto', name: null, createdBy: null });
      await keepAll.thin(docId);
    }
    await store.compact(docId, Y.encodeStateAsUpdate(docs[0]!), lastSeq);
    await keepAll.thin(docId);

    const raw = new Database(path.join(dir, 'tandem.sqlite'));
    const checkpoints = () => (raw.prepare('SELECT count(*) AS n FROM history_checkpoints').get() as { n: number }).n;
    /** Every version's content, its changes since the one before, and what a restore of it makes of the document now. */
    const everything = async (history: HistoryService) => {
      const listed = await history.list(docId);
      const seen: unknown[] = [];
      for (const version of listed) {
        seen.push(await history.content(docId, version.id, 'json'));
        seen.push(await history.changes(docId, version.id, undefined));
        seen.push(await history.changes(docId, 'current', version.id));
      }
      return { ids: listed.map((v) => v.id), seen };
    };
    const compare = async (history: HistoryService) => {
      expect(checkpoints()).toBeGreaterThan(0);
      const withCheckpoints = await everything(history);
      raw.exec('CREATE TEMP TABLE kept AS SELECT * FROM history_checkpoints; DELETE FROM history_checkpoints');
      const fromTheLog = await everything(history);
      raw.exec('INSERT INTO history_checkpoints SELECT * FROM kept; DROP TABLE kept');
      expect(withCheckpoints).toEqual(fromTheLog);
      return withCheckpoints.ids.length;
    };
    const before = await compare(keepAll);

    // A restore made from a checkpoint is the restore made from the log: the same document after it.
    const versions = await store.history.listVersions(docId);
    const { rows } = await store.history.readLog(docId, null);
    for (const version of versions) {
      const { checkpoint, rows: after } = await store.history.readCheckpointed(docId, version.seq);
      const later = rows.filter((row) => row.seq > version.seq).map((row) => row.data);
      const fromLog = restoreUpdate(rows.filter((row) => row.seq <= version.seq).map((row) => row.data), later);
      const fromCheckpoint = restoreUpdate([...(checkpoint ? [checkpoint.data] : []), ...after.map((row) => row.data)], later);
      const restored = (update: Uint8Array | null) => {
        const copy = new Y.Doc();
        Y.applyUpdate(copy, Y.encodeStateAsUpdate(docs[0]!));
        if (update) Y.applyUpdate(copy, update);
        return copy.getXmlFragment(BODY_FRAGMENT).toString();
      };
      expect(restored(fromCheckpoint)).toBe(restored(fromLog));
      // ...and a checkpoint is the state the log makes up to its version.
      if (checkpoint?.seq === version.seq) {
        const full = checkpointState(rows.filter((row) => row.seq <= version.seq).map((row) => row.data));
        expect(Y.encodeStateVectorFromUpdate(checkpoint.data)).toEqual(Y.encodeStateVectorFromUpdate(full));
      }
    }

    // Thinning (every automatic version but the newest dropped, named ones kept): the checkpoints of
    // dropped versions go, those of kept ones stay or are made, and nothing shown changes.
    const thinning = service(store, thread, { versionCheckpointBytes: 0, versionKeepAllMs: 0, versionKeepHourlyMs: 365 * 24 * 3600_000 });
    await thinning.thin(docId);
    const kept = await store.history.listVersions(docId);
    expect(kept.length).toBeLessThan(versions.length);
    const orphans = raw.prepare('SELECT count(*) AS n FROM history_checkpoints WHERE seq NOT IN (SELECT seq FROM versions)').get() as { n: number };
    expect(orphans.n).toBe(0);
    expect(await compare(thinning)).toBe(kept.length);
    expect(before).toBe(versions.length);
    raw.close();
    await thread.close();
    await store.close();
  }, 120_000);
});
