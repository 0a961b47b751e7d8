import WebSocket from 'ws';
import * as Y from 'yjs';
import { BODY_FRAGMENT } from '../shared/schema.js';
import { BenchClient } from './client.js';
import type { RunningServer } from './servers.js';
import { waitFor } from './stats.js';
import { dialectFor, Msg, Sync } from './wire.js';

/**
 * The big document of L1–L2 (issue 18): the 259,778-edit trace (one Y.Text) plus pasted blocks of
 * about 1 MB each (a paragraph of the body fragment) up to `megabytes`, as the updates a client
 * writing it would send (the trace's, then one per block).
 */
export interface BigDoc {
  updates: Uint8Array[];
  /** Characters and trace bytes: what the store must hold at least. */
  bytes: number;
  /** A join has everything once it holds these clocks. */
  stateVector: Map<number, number>;
}

export function buildBigDoc(traceUpdate: Uint8Array, megabytes: number): BigDoc {
  const source = new Y.Doc();
  const updates: Uint8Array[] = [traceUpdate];
  Y.applyUpdate(source, traceUpdate);
  source.on('update', (update: Uint8Array) => updates.push(update));
  const body = source.getXmlFragment(BODY_FRAGMENT);
  let bytes = traceUpdate.length;
  for (let i = 0; bytes < megabytes * 1024 * 1024; i++) {
    let text = '';
    for (let n = 0; text.length < 1_000_000; n++) text += `Pasted block ${i}, sentence ${n}: ${(n * 7919) % 100003} lorem ipsum dolor sit amet. `;
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(text)]);
    body.insert(body.length, [paragraph]);
    bytes += text.length;
  }
  const stateVector = Y.decodeStateVector(Y.encodeStateVector(source));
  source.destroy();
  return { updates, bytes, stateVector };
}

/**
 * A holder that writes the big document into `docId` over the server's own wire and stays: resolves
 * once a join receives all of it (the server holds it). Close the returned client to let it go.
 */
export async function uploadBigDoc(server: RunningServer, docId: string, big: BigDoc): Promise<BenchClient> {
  const holder = new BenchClient(server, docId, {}, 60_000);
  await holder.ready;
  for (const update of big.updates) holder.sendUpdate(update);
  const first = await joinWhole(server, docId, big, 600_000);
  if (first.error) throw new Error(`${server.spec.label}: the uploaded document could not be joined: ${first.error}`);
  return holder;
}

export interface WholeJoin {
  /** Socket creation → every clock of the document received, ms (NaN on error). */
  ms: number;
  /** Bytes read off the socket until then. */
  wireBytes: number;
  error: string | null;
}

/**
 * One join by a bare client speaking the server's wire (no Y.Doc): it offers permessage-deflate, as
 * browsers and ws do, asks for the document with an empty state vector, and is done once the content
 * received (sync step 2 and updates) covers `big.stateVector`.
 */
export function joinWhole(server: RunningServer, docId: string, big: BigDoc, timeoutMs = 300_000): Promise<WholeJoin> {
  const dialect = dialectFor(server.spec.dialect, docId);
  const began = performance.now();
  const have = new Map<number, number>();
  const missing = new Set(big.stateVector.keys());
  const socket = new WebSocket(server.wsBase + server.spec.wsPath(docId), { maxPayload: 1024 * 1024 * 1024 });
  socket.binaryType = 'arraybuffer';
  return new Promise<WholeJoin>((resolve) => {
    let settled = false;
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const wireBytes = (socket as unknown as { _socket?: { bytesRead: number } })._socket?.bytesRead ?? 0;
      socket.terminate();
      resolve({ ms: error ? Number.NaN : performance.now() - began, wireBytes, error });
    };
    const timer = setTimeout(() => finish(`not all of it within ${timeoutMs / 1000} s (${big.stateVector.size - missing.size} of ${big.stateVector.size} clients' clocks complete)`), timeoutMs);
    socket.onopen = () => {
      for (const frame of dialect.hello()) socket.send(frame);
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') return;
      const message = dialect.parse(new Uint8Array(event.data as ArrayBuffer));
      if (message.type !== Msg.sync) return;
      if (message.sync === Sync.step1) {
        socket.send(dialect.step2Reply());
        return;
      }
      // How far each client's structs reach (a segment of a client's middle included: a state vector
      // read from such an update stops at its gap).
      for (const [client, clock] of Y.parseUpdateMeta(message.payload).to) {
        if (clock > (have.get(client) ?? 0)) have.set(client, clock);
        if (missing.has(client) && clock >= big.stateVector.get(client)!) missing.delete(client);
      }
      if (missing.size === 0) finish(null);
    };
    socket.onerror = (event) => finish(`socket error: ${(event as { message?: string }).message ?? 'unknown'}`);
    socket.onclose = (event) => finish(`closed ${event.code}${event.reason ? ` ${event.reason}` : ''} before all of it arrived`);
  });
}

/** Until the server reports `docs` documents in memory (or `timeoutMs`). */
export async function waitForDocs(server: RunningServer, docs: number, timeoutMs: number): Promise<boolean> {
  return waitFor(async () => (await server.stats()).docs === docs, timeoutMs, 50);
}
