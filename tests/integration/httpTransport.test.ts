import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { decodeSavedAck } from '../../shared/codec.js';
import { connectClient, textOf, whenSynced, type Transport } from '../helpers/clients.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { startHostileProxy } from '../helpers/hostileProxy.js';

describe.each<Transport>(['http', 'longpoll'])('the HTTP transport (%s)', (transport) => {
  it('a client over HTTP and one over a WebSocket edit one document together', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('http');
    const a = connectClient(server.collabUrl, docId, { transport });
    const b = connectClient(server.collabUrl, docId);
    await whenSynced(a, 'http client');
    await whenSynced(b, 'ws client');
    a.doc.getText('text').insert(0, 'over http ');
    b.doc.getText('text').insert(0, 'over ws ');
    await waitFor(() => textOf(a) === textOf(b) && textOf(a).length === 'over http over ws '.length, 'both to converge');
    // Presence crosses too.
    a.provider.awareness.setLocalStateField('user', { name: 'A' });
    await waitFor(() => [...b.provider.awareness.getStates().values()].some((state) => state.user?.name === 'A'), 'B to see A');
    b.provider.awareness.setLocalStateField('user', { name: 'B' });
    await waitFor(() => [...a.provider.awareness.getStates().values()].some((state) => state.user?.name === 'B'), 'A to see B');
  });

  it('saved acks arrive, and a refusal closes with the same code as over a WebSocket', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('ack');
    const client = connectClient(server.collabUrl, docId, { transport, params: { ack: '1' } });
    const acks: number[] = [];
    client.provider.messageHandlers[100] = (_encoder, decoder) => {
      acks.push(decodeSavedAck(new Uint8Array([100, ...decoder.arr.subarray(decoder.pos)])));
    };
    await whenSynced(client);
    client.doc.getText('text').insert(0, 'x');
    await waitFor(() => acks.length > 0 && acks.at(-1)! >= 1, 'a saved ack');
    const closes: number[] = [];
    const refused = connectClient(server.collabUrl, 'not..valid', { transport });
    refused.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    await waitFor(() => closes.length > 0, 'the refusal');
    expect(closes[0]).toBe(CloseCode.policy);
  });
});

describe('the HTTP transport behind a proxy that buffers responses', () => {
  it('finds its stream held back and long-polls instead, losing nothing', async () => {
    const server = await startServer({ openDocuments: true });
    const proxy = await startHostileProxy(Number(new URL(server.httpUrl).port), 'buffer');
    const docId = uniqueDocId('buffered');
    let switched = 0;
    const a = connectClient(`${proxy.base.replace('http', 'ws')}/collab`, docId, { transport: 'http', httpOptions: { streamOpenTimeoutMs: 500, onLongPoll: () => switched++ } });
    const b = connectClient(server.collabUrl, docId);
    await whenSynced(a, 'the client behind the proxy');
    await whenSynced(b);
    a.doc.getText('text').insert(0, 'from behind ');
    b.doc.getText('text').insert(0, 'from outside ');
    await waitFor(() => textOf(a) === textOf(b) && textOf(a).length === 'from behind from outside '.length, 'both to converge');
    expect(switched).toBeGreaterThan(0);
  });
});
