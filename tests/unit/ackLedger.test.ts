import { describe, expect, it } from 'vitest';
import { AckLedger } from '../../server/collab/ackLedger.js';
import { FakePeer } from '../helpers/roomFakes.js';

describe('AckLedger', () => {
  it('numbers frames per peer and acks the longest finished run 1..N, once per move', () => {
    const peer = new FakePeer();
    const ledger = new AckLedger(peer);
    expect([ledger.next(), ledger.next(), ledger.next()]).toEqual([1, 2, 3]);
    ledger.finished(2); // overtakes frame 1 (e.g. 1 waits for its dependencies)
    ledger.flush();
    expect(peer.acks()).toEqual([]);
    ledger.finished(1);
    expect(ledger.savedThrough).toBe(2);
    ledger.flush();
    ledger.flush(); // nothing moved: nothing sent
    ledger.finished(3);
    ledger.flush();
    expect(peer.acks()).toEqual([2, 3]);
  });

  it('sends nothing to a peer that did not ask for our messages', () => {
    const peer = new FakePeer(true, false);
    const ledger = new AckLedger(peer);
    ledger.finished(ledger.next());
    ledger.flush();
    expect(ledger.savedThrough).toBe(1);
    expect(peer.frames).toEqual([]);
  });
});
