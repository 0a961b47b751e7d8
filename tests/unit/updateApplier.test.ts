import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UpdateApplier } from '../../server/collab/updateApplier.js';
import { clientDoc } from '../helpers/roomFakes.js';

function server() {
  const doc = new Y.Doc();
  return { doc, applier: new UpdateApplier(doc), text: () => doc.getText('body').toString() };
}

describe('UpdateApplier', () => {
  it('reports an update that applies whole as itself, and a repeated one as changing nothing', () => {
    const { applier, text } = server();
    const update = clientDoc(1).type('abc');
    expect(applier.apply(update, 'peer')).toEqual({ effective: update, whole: true, failure: null, pending: false });
    expect(applier.apply(update, 'peer')).toEqual({ effective: null, whole: false, failure: null, pending: false });
    expect(text()).toBe('abc');
  });

  it('drops what waits for missing changes (never kept in the doc or served) and says so', () => {
    const { doc, applier } = server();
    const client = clientDoc(1);
    const first = client.type('a');
    const second = client.type('b');
    expect(applier.apply(second, 'peer')).toEqual({ effective: null, whole: false, failure: null, pending: true });
    expect(doc.store.pendingStructs).toBeNull();
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(new Y.Doc()));
    // Once its dependency is there it applies whole.
    applier.apply(first, 'peer');
    expect(applier.apply(second, 'peer').whole).toBe(true);
  });

  it('reports exactly the part that entered when the rest waits', () => {
    const { doc, applier, text } = server();
    const client = clientDoc(1);
    const first = client.type('a');
    client.type('b'); // never sent
    const third = client.type('c');
    const result = applier.apply(Y.mergeUpdates([first, third]), 'peer');
    expect(result.pending).toBe(true);
    expect(result.whole).toBe(false);
    expect(text()).toBe('a');
    const replica = new Y.Doc();
    Y.applyUpdate(replica, result.effective!);
    expect(replica.getText('body').toString()).toBe('a');
    expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(doc));
  });

  it('returns the error of a malformed update instead of throwing', () => {
    const { applier } = server();
    const result = applier.apply(new Uint8Array([5, 200, 1, 2]), 'peer');
    expect(result.failure).not.toBeNull();
    expect(result.whole).toBe(false);
  });
});
