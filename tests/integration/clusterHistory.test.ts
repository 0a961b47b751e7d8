import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Version, VersionList } from '../../shared/history.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { api, createDoc, openLiveReady, registerUser } from '../helpers/accounts.js';
import { connectClient, type TestClient, whenSynced } from '../helpers/clients.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redisServer.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startServer, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Version history across processes: versions live in the shared store, a restore made through one
// process reaches windows on every process, and one burst of editing makes one automatic version
// even when the burst is typed through several processes.

const databases = postgresDatabases();

/** The first paragraph's text (made if missing), as y-prosemirror keeps it. */
function firstText(doc: Y.Doc): Y.XmlText {
  const body = doc.getXmlFragment(BODY_FRAGMENT);
  if (body.length === 0) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText()]);
    body.insert(0, [paragraph]);
  }
  return (body.get(0) as Y.XmlElement).get(0) as Y.XmlText;
}

const bodyOf = (client: TestClient) => client.doc.getXmlFragment(BODY_FRAGMENT).toString();

async function versions(server: TestServer, docId: string, cookie: string): Promise<Version[]> {
  const answer = await api<VersionList>(server, 'GET', `/api/docs/${docId}/versions`, { cookie });
  expect(answer.status).toBe(200);
  return answer.body.versions;
}

/** Neither process has a burst open or a version being made. */
const quiet = (servers: TestServer[]) => servers.every((s) => !s.app.history.versionsPending);

describe('cluster: version history across processes', () => {
  it('a version named through A is listed through B; a restore through B reaches clients on A live; one burst, one automatic version', async () => {
    const seed = Number(process.env.HISTORY_SEED ?? Date.now() % 1_000_000);
    console.log(`cluster history seed ${seed}`);
    const random = seededRandom(seed);
    const redis = await startRedis();
    const databaseUrl = await databases.create();
    // Every version due a checkpoint (PostgreSQL's): the restore reads the named version from one.
    const common = { databaseUrl, redisUrl: redis.url, passwordHashCost: 12, versionIdleMs: 300, compactAfterUpdates: 20, versionCheckpointBytes: 0 };
    const a = await startServer(common);
    const b = await startServer(common);
    const ann = await registerUser(a);
    const docId = await createDoc(a, ann);
    const onA = [connectClient(a.collabUrl, docId, { cookie: ann.cookie }), connectClient(a.collabUrl, docId, { cookie: ann.cookie })];
    const onB = connectClient(b.collabUrl, docId, { cookie: ann.cookie });
    const everyone = [...onA, onB];
    await Promise.all(everyone.map((c) => whenSynced(c)));

    // One burst typed through both processes: A's typist stops while B's goes on, pauses always
    // shorter than versionIdleMs, so each process's own quiet time ends at a different moment.
    const type = async (client: TestClient, letter: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const text = firstText(client.doc);
        text.insert(text.length, letter);
        // Pacing of the workload (pauses within the burst), not a wait for a result.
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 40)));
      }
    };
    firstText(onA[0]!.doc).insert(0, 'Version text.');
    await type(onA[0]!, 'a', 6);
    await Promise.all([type(onA[0]!, 'a', 6), type(onB, 'b', 16)]);
    await waitFor(() => everyone.every((c) => bodyOf(c) === bodyOf(onB)), 'the burst to converge');
    await waitFor(() => quiet([a, b]), 'both processes to end the burst');
    const afterBurst = await versions(b, docId, ann.cookie);
    expect(afterBurst.map((v) => v.kind)).toEqual(['auto']);
    const burstText = firstText(onB.doc).toString();

    // Named through A, listed through B; Ann's /live window on B is told, so its History panel re-reads.
    const liveOnA = await openLiveReady(a, ann);
    const liveOnB = await openLiveReady(b, ann);
    const named = await api<Version>(a, 'POST', `/api/docs/${docId}/versions`, { cookie: ann.cookie, body: { name: 'Before the rest' } });
    expect(named.status).toBe(201);
    const listedOnB = await versions(b, docId, ann.cookie);
    expect(listedOnB[0]).toMatchObject({ id: named.body.id, name: 'Before the rest', kind: 'named' });
    expect(await liveOnB.next('versions', (m) => m.docId === docId)).toEqual({ type: 'versions', docId });
    const namedSeq = (await a.app.docStore.history.getVersion(docId, named.body.id))!.seq;
    await waitFor(async () => (await a.app.docStore.history.logSizes(docId)).checkpoints.some((c) => c.seq === namedSeq), 'the named version\u2019s checkpoint');

    // More typing on both processes, then a restore through B while A's clients keep typing.
    const text = firstText(onA[1]!.doc);
    text.insert(text.length, ' EXTRA');
    await waitFor(() => bodyOf(onB).includes('EXTRA'), 'the extra text to reach B');
    let typing = true;
    const loops = onA.map(async (client, i) => {
      while (typing) await type(client, String(i), 1);
    });
    const restored = await api<{ before: Version }>(b, 'POST', `/api/docs/${docId}/versions/${named.body.id}/restore`, { cookie: ann.cookie });
    expect(restored.status).toBe(200);
    // The restore through B is announced to Ann's window on A too (a second message, after the name's).
    await waitFor(() => liveOnA.all('versions').filter((m) => m.docId === docId).length === 2, "the restore to be announced on A's /live");
    typing = false;
    await Promise.all(loops);
    for (const [i, client] of onA.entries()) {
      const t = firstText(client.doc);
      t.insert(t.length, `<${i}>`);
    }
    const done = await waitFor(() => {
      const bodies = everyone.map(bodyOf);
      return bodies.every((body) => body === bodies[0] && body.includes('<0>') && body.includes('<1>')) && bodies[0];
    }, 'clients on both processes to converge on the restored version plus what was typed after');
    expect(String(done).startsWith(`<paragraph>${burstText}`)).toBe(true);
    expect(done).not.toContain('EXTRA');
    await waitFor(() => quiet([a, b]), 'both processes to end the last burst');
    const list = await versions(a, docId, ann.cookie);
    expect(list.filter((v) => v.kind === 'restore')).toHaveLength(1);
    expect(list.find((v) => v.kind === 'restore')?.id).toBe(restored.body.before.id);
    await Promise.all([liveOnA.close(), liveOnB.close()]);
  });
});
