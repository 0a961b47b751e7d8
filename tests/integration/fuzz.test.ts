import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { encodeAwarenessFrame, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import { encodeClientFrames, HTTP_TRANSPORT_SEGMENT, SEQ_PARAM } from '../../shared/httpTransport.js';
import { connectClient, textOf, type Transport, whenSynced } from '../helpers/clients.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** Well-formed frames of every kind, to be sent as they are and as seeds for mutation. */
function validFrames(): Uint8Array[] {
  const doc = new Y.Doc();
  const frames: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => frames.push(encodeSyncUpdate(u)));
  doc.getText('text').insert(0, 'fuzz');
  doc.getText('text').format(0, 2, { bold: true });
  doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlElement('paragraph')]);
  doc.getText('text').delete(1, 2);
  frames.push(encodeSyncStep2(Y.encodeStateAsUpdate(doc)), encodeSyncStep1(Y.encodeStateVector(doc)));
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState({ user: { name: 'fuzz', color: '#000000' } });
  frames.push(encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])));
  awareness.destroy();
  frames.push(new Uint8Array([3]));
  return frames;
}

const seeds = validFrames();

/** A random frame: pure noise, a seed, or a seed with bytes flipped, cut short or extended. */
const frameArbitrary = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 48 }),
  fc.constantFrom(...seeds),
  fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => {
      const copy = Uint8Array.from(seed);
      for (const [at, value] of edits) copy[at % copy.length] = value;
      return copy;
    }),
  fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => seed.subarray(0, cut % (seed.length + 1))),
  fc.tuple(fc.constantFrom(...seeds), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([seed, tail]) => {
    const joined = new Uint8Array(seed.length + tail.length);
    joined.set(seed);
    joined.set(tail, seed.length);
    return joined;
  }),
);

// Over the HTTP transport with fewer runs (each opens a session: a few requests). Streaming only:
// long-polling differs in how frames come down, not in how they go up or are handled.
describe.each<{ transport: Exclude<Transport, 'longpoll'>; runs: number }>([
  { transport: 'websocket', runs: 800 },
  { transport: 'http', runs: 80 },
])('property: hostile frames ($transport)', ({ transport, runs }) => {
  it('random and mutated frames by the thousand never crash the server, touch stored documents, or grow memory', async () => {
    const unlimited = 1_000_000;
    const server = await startServer({
      openDocuments: true,
      unloadGraceMs: 20,
      pendingUpdateTimeoutMs: 50,
      updatesPerSecond: unlimited,
      updateBurst: unlimited,
      awarenessPerSecond: unlimited,
      awarenessBurst: unlimited,
      connectionBurstPerIp: unlimited,
      connectionsPerSecondPerIp: unlimited,
    });
    const reference = uniqueDocId('reference');
    const author = connectClient(server.collabUrl, reference);
    await whenSynced(author);
    author.doc.getText('text').insert(0, 'reference content');
    const stateBefore = Y.encodeStateVector(author.doc);
    author.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the reference document to unload');
    const heapBefore = process.memoryUsage().heapUsed;

    let frames = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArbitrary, { minLength: 1, maxLength: 12 }), fc.boolean(), async (batch, onReference) => {
        // Half the runs attack the reference document itself.
        const docId = onReference ? reference : uniqueDocId('fuzz');
        const socket = await openRawSocket(`${server.collabUrl}/${docId}`, {}, transport);
        for (const frame of batch) socket.send(frame);
        frames += batch.length;
        // Probe: a step1 is answered (with the only step2 the server sends) once everything before it
        // was handled and committed — unless the batch got the socket closed first.
        socket.send(encodeSyncStep1(new Uint8Array([0])));
        const answered = () => socket.frames.some((f) => f[0] === 0 && f[1] === 1);
        await Promise.race([socket.closed, waitFor(answered, 'an answer to the probe')]);
        socket.ws.terminate();
      }),
      { numRuns: runs, seed: 20261122 },
    );
    expect(frames).toBeGreaterThan(runs * 3);

    // Still serving, and the reference document is intact (its author's state is all there).
    const reader = connectClient(server.collabUrl, reference);
    await whenSynced(reader);
    expect(textOf(reader)).toContain('reference content');
    const check = new Y.Doc();
    Y.applyUpdate(check, Y.encodeStateAsUpdate(reader.doc));
    for (const [client, clock] of Y.decodeStateVector(stateBefore)) {
      expect(Y.decodeStateVector(Y.encodeStateVector(check)).get(client)).toBeGreaterThanOrEqual(clock);
    }
    expect(reader.doc.store.pendingStructs).toBeNull();
    reader.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0 && server.app.rooms.connectionCount === 0, 'every room to unload');
    expect(server.app.rooms.unloadTimerCount).toBe(0);
    // Bounded: what hundreds of connections and rooms left behind is far below their total.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

/** A POST body of the HTTP transport: noise, or well-formed framing of random frames, possibly mutated or cut. */
const bodyArbitrary = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 64 }),
  fc
    .tuple(fc.array(fc.tuple(frameArbitrary, fc.boolean()), { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat())
    .map(([frames, at, value, cut]) => {
      const body = encodeClientFrames(frames.map(([data, text]) => ({ data, text })));
      const mode = cut % 3;
      if (mode === 1 && body.length > 0) body[at % body.length] = value;
      return mode === 2 ? body.subarray(0, cut % (body.length + 1)) : body;
    }),
);

describe('property: hostile frame bodies over HTTP', () => {
  it('malformed framing of a POST is refused with a close code, and the server keeps serving', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 20, pendingUpdateTimeoutMs: 50, updatesPerSecond: 1_000_000, updateBurst: 1_000_000 });
    const base = `${server.httpUrl}/collab`;
    await fc.assert(
      fc.asyncProperty(bodyArbitrary, async (body) => {
        const url = `${base}/${uniqueDocId('body')}/${HTTP_TRANSPORT_SEGMENT}`;
        const opened = await fetch(url, { method: 'POST' });
        const { session } = (await opened.json()) as { session: string };
        const answer = await fetch(`${url}/${session}?${SEQ_PARAM}=0`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
        // Taken (200/202), or refused with the status of a close code and that code in the body.
        if (answer.status !== 200 && answer.status !== 202) {
          const refusal = (await answer.json()) as { code?: unknown };
          expect(refusal.code, `status ${answer.status}`).toEqual(expect.any(Number));
          expect(answer.status).toBeLessThan(500);
        } else await answer.arrayBuffer();
        await fetch(`${url}/${session}`, { method: 'DELETE' });
      }),
      { numRuns: 60, seed: 20261207 },
    );
    await waitFor(() => server.app.rooms.connectionCount === 0, 'every session to close');
    const reader = connectClient(server.collabUrl, uniqueDocId('after'));
    await whenSynced(reader);
    reader.doc.getText('text').insert(0, 'still served');
    const other = connectClient(server.collabUrl, reader.provider.roomname);
    await whenSynced(other);
    await waitFor(() => textOf(other) === 'still served', 'an edit to be relayed after the fuzzing');
  });
});
