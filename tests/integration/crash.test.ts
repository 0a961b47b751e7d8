import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectClient, type TestClient, textOf, whenSynced } from '../helpers/clients.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** Inserts `token` at a random token boundary, so tokens never split each other. */
function insertToken(client: TestClient, token: string): void {
  const text = client.doc.getText('text');
  const content = text.toString();
  const boundaries = [0];
  for (let i = 0; i < content.length; i++) if (content[i] === ']') boundaries.push(i + 1);
  text.insert(boundaries[Math.floor(Math.random() * boundaries.length)]!, token);
}

function tokensOf(text: string): string[] {
  return text.match(/\[[ab]\d+\]/g) ?? [];
}

describe('crash recovery (kill -9)', () => {
  it('keeps every update any client received, and reconnecting clients double nothing', async () => {
    const dataDir = tempDataDir();
    const env = { DATA_DIR: dataDir, OPEN_DOCUMENTS: 'true' };
    const first = await spawnServer(env);
    const url = `ws://127.0.0.1:${first.port}/collab`;
    const docId = uniqueDocId('crash');

    const a = connectClient(url, docId);
    const b = connectClient(url, docId);
    const witness = connectClient(url, docId); // only ever receives
    await Promise.all([whenSynced(a), whenSynced(b), whenSynced(witness)]);

    // Whatever the witness holds when its connection drops was relayed by the server before the crash.
    let witnessed: Uint8Array | null = null;
    witness.provider.on('connection-close', () => {
      witnessed ??= Y.encodeStateAsUpdate(witness.doc);
      witness.destroy();
    });

    const typed: string[] = [];
    let n = 0;
    const typing = setInterval(() => {
      n += 1;
      insertToken(a, `[a${n}]`);
      insertToken(b, `[b${n}]`);
      typed.push(`[a${n}]`, `[b${n}]`);
    }, 3);
    await waitFor(() => textOf(witness).length > 400, 'the witness to receive a good part of the typing');
    await first.kill9();
    await waitFor(() => witnessed !== null, 'the witness to notice the crash');
    // Keep typing offline for a while (ten rounds once both writers know they are offline), then stop
    // and take the writers offline.
    await waitFor(() => !a.provider.wsconnected && !b.provider.wsconnected, 'the writers to notice the crash');
    const offlineFrom = typed.length;
    await waitFor(() => typed.length >= offlineFrom + 20, 'ten rounds typed offline');
    clearInterval(typing);
    a.provider.disconnect();
    b.provider.disconnect();

    const second = await spawnServer(env, { port: first.port });
    // A fresh client, before any writer reconnects: this is what the server recovered on its own.
    const fresh = connectClient(url, docId);
    await whenSynced(fresh, 'fresh client');
    const recovered = new Y.Doc();
    Y.applyUpdate(recovered, Y.encodeStateAsUpdate(fresh.doc));
    const recoveredText = recovered.getText('text').toString();
    Y.applyUpdate(recovered, witnessed!);
    expect(recovered.getText('text').toString()).toBe(recoveredText); // the witness adds nothing
    expect(Y.encodeStateVector(recovered)).toEqual(Y.encodeStateVector(fresh.doc));
    expect(tokensOf(recoveredText).length).toBeGreaterThan(20);

    // The writers come back with their offline edits: all converge, every token exactly once.
    a.provider.connect();
    b.provider.connect();
    await waitFor(
      () => textOf(a) === textOf(b) && textOf(b) === textOf(fresh) && tokensOf(textOf(fresh)).length === typed.length,
      'everyone to converge on every typed token',
    );
    const tokens = tokensOf(textOf(fresh));
    expect(new Set(tokens).size).toBe(tokens.length);
    expect([...tokens].sort()).toEqual([...typed].sort());
    expect(await second.stop()).toBe(0);
  });
});
