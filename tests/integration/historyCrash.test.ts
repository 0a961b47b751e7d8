import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Version } from '../../shared/history.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { connectClient, type TestClient, whenSynced } from '../helpers/clients.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const bodyOf = (client: TestClient) => client.doc.getXmlFragment(BODY_FRAGMENT).toString();

function write(client: TestClient, text: string): void {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(text)]);
  const body = client.doc.getXmlFragment(BODY_FRAGMENT);
  body.insert(body.length, [paragraph]);
}

describe('restore and kill -9', () => {
  it('leaves the old state or the restored one, never a mix, and loses nothing that was relayed', async () => {
    const seed = Number(process.env.HISTORY_SEED ?? Date.now() % 1_000_000);
    console.log(`restore kill -9 seed ${seed}`);
    const random = seededRandom(seed);
    const dataDir = tempDataDir();
    const env = { DATA_DIR: dataDir, OPEN_DOCUMENTS: 'true' };
    const outcomes: string[] = [];
    for (let round = 0; round < 2; round++) {
      const server = await spawnServer(env, { built: true });
      const url = `ws://127.0.0.1:${server.port}/collab`;
      const docId = uniqueDocId('restore-crash');
      const writer = connectClient(url, docId);
      const witness = connectClient(url, docId);
      await Promise.all([whenSynced(writer), whenSynced(witness)]);
      write(writer, `Version ${round}.`);
      await waitFor(() => bodyOf(witness).includes(`Version ${round}.`), 'the witness to be relayed the version text');
      const made = await fetch(`http://127.0.0.1:${server.port}/api/docs/${docId}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Before' }),
      });
      expect(made.status).toBe(201);
      const version = (await made.json()) as Version;
      const restored = bodyOf(witness);
      write(writer, 'Later, relayed.');
      await waitFor(() => bodyOf(witness).includes('Later, relayed.'), 'the witness to be relayed the later text');
      const old = bodyOf(witness);

      // The restore and the kill race; sometimes the restore has committed, sometimes not.
      const request = fetch(`http://127.0.0.1:${server.port}/api/docs/${docId}/versions/${version.id}/restore`, { method: 'POST' }).catch(() => null);
      const delayMs = Math.floor(random() * 1500);
      await new Promise((resolve) => setTimeout(resolve, delayMs)); // workload: how far the restore got before the kill
      await server.kill9();
      await request;
      writer.destroy();
      witness.destroy();

      const again = await spawnServer(env, { built: true });
      const reader = connectClient(`ws://127.0.0.1:${again.port}/collab`, docId);
      await whenSynced(reader, 'reader');
      const after = bodyOf(reader);
      expect([old, restored]).toContain(after);
      outcomes.push(after === old ? `old (${delayMs} ms)` : `restored (${delayMs} ms)`);
      reader.destroy();
      await again.kill9();
    }
    console.log(`restore kill -9 outcomes: ${outcomes.join(', ')}`);
  }, 120_000);
});
