import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { encodeAwarenessFrame } from '../../shared/codec.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

describe('awareness (presence)', () => {
  it('appears for the others and is removed when its connection closes', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('presence');
    const a = connectClient(server.collabUrl, docId);
    const b = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#c0392b' });
    await waitFor(
      () => (b.provider.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } } | undefined)?.user?.name === 'Ada',
      "b to see Ada's presence",
    );
    // A late joiner gets the current presence at once.
    const c = connectClient(server.collabUrl, docId);
    await waitFor(() => c.provider.awareness.getStates().has(a.doc.clientID), "c to see Ada's presence");

    a.provider.disconnect();
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), "Ada's presence to disappear for b");
    await waitFor(() => !c.provider.awareness.getStates().has(a.doc.clientID), "Ada's presence to disappear for c");
  });

  it("refuses a connection that speaks for another connection's presence, and keeps the victim's state", async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('spoof');
    const victim = connectClient(server.collabUrl, docId);
    const watcher = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(victim), whenSynced(watcher)]);
    victim.provider.awareness.setLocalStateField('user', { name: 'Victim' });
    await waitFor(() => watcher.provider.awareness.getStates().has(victim.doc.clientID), 'watcher to see the victim');

    // A forged awareness doc that uses the victim's client id and clears its state.
    const forgedDoc = new Y.Doc();
    forgedDoc.clientID = victim.doc.clientID;
    const forged = new awarenessProtocol.Awareness(forgedDoc);
    forged.setLocalState({ user: { name: 'Mallory' } });
    for (let i = 0; i < 5; i++) forged.setLocalState({ user: { name: 'Mallory' } }); // outrun the victim's clock
    forged.setLocalState(null);
    const update = awarenessProtocol.encodeAwarenessUpdate(forged, [victim.doc.clientID]);
    forged.destroy();

    const removals: number[] = [];
    watcher.provider.awareness.on('change', ({ removed }: { removed: number[] }) => removals.push(...removed));
    const attacker = await openRawSocket(`${server.collabUrl}/${docId}`);
    attacker.send(encodeAwarenessFrame(update));
    const { code } = await attacker.closed;
    expect(code).toBe(CloseCode.forbidden);
    // The server handled the forged frame before closing; a removal it wrongly relayed would reach the
    // watcher before anything the victim says from now on. The victim's next state ends the window.
    victim.provider.awareness.setLocalStateField('marker', 1);
    await waitFor(() => (watcher.provider.awareness.getStates().get(victim.doc.clientID) as { marker?: number } | undefined)?.marker === 1, "the victim's next state");
    expect(removals).not.toContain(victim.doc.clientID);
    const seen = watcher.provider.awareness.getStates().get(victim.doc.clientID) as { user?: { name: string } } | undefined;
    expect(seen?.user?.name).toBe('Victim');
  });
});
