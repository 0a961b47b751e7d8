import { describe, expect, it } from 'vitest';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { listParticipants } from '../../web/src/document/presence.js';
import { announceTyping, TYPING_FIELD, TYPING_SEND_INTERVAL_MS, TYPING_SHOWN_MS, TypingWatch } from '../../web/src/document/typing.js';

const user = (name: string) => ({ name, color: '#112233' });

describe('TypingWatch', () => {
  it('shows a client as typing for a few seconds after its field changes, by our own clock', () => {
    const watch = new TypingWatch();
    const states = new Map<number, Record<string, unknown>>([[2, { user: user('Ann') }]]);
    watch.observe(states, 1_000);
    expect(watch.isTyping(2, 1_000)).toBe(false);
    // The sender's clock is an hour behind: what counts is that the field changed.
    states.set(2, { user: user('Ann'), [TYPING_FIELD]: 1_000 - 3_600_000 });
    watch.observe(states, 2_000);
    expect(watch.isTyping(2, 2_000)).toBe(true);
    expect(watch.nextExpiry([2], 2_000)).toBe(2_000 + TYPING_SHOWN_MS);
    // A cursor move (same typing value) does not extend it.
    watch.observe(states, 4_000);
    expect(watch.isTyping(2, 2_000 + TYPING_SHOWN_MS)).toBe(false);
    expect(watch.nextExpiry([2], 2_000 + TYPING_SHOWN_MS)).toBeNull();
  });

  it('trusts a first-seen field only when it is recent, and forgets clients that left', () => {
    const watch = new TypingWatch();
    watch.observe(new Map([[3, { [TYPING_FIELD]: 10_000 - 60_000 }], [4, { [TYPING_FIELD]: 9_500 }]]), 10_000);
    expect(watch.isTyping(3, 10_000)).toBe(false);
    expect(watch.isTyping(4, 10_000)).toBe(true);
    watch.observe(new Map(), 10_001);
    expect(watch.isTyping(4, 10_001)).toBe(false);
  });

  it('marks only others as typing in the participant list', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { user: user('Me') }],
      [2, { user: user('Bea') }],
    ]);
    const people = listParticipants(states, 1, () => true);
    expect(people.map((p) => [p.name, p.typing])).toEqual([['Me', false], ['Bea', true]]);
  });
});

describe('announceTyping', () => {
  it('sets the field on local edits only, at most once per interval, and never while idle', () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    let now = 50_000;
    const remote = Symbol('remote');
    announceTyping(doc, awareness, (origin) => origin !== remote, () => now);
    const sent: number[] = [];
    awareness.on('update', () => sent.push(awareness.getLocalState()?.[TYPING_FIELD] as number));

    doc.getText('t').insert(0, 'a');
    expect(sent).toEqual([50_000]);
    now += TYPING_SEND_INTERVAL_MS / 2;
    doc.getText('t').insert(1, 'b'); // throttled
    doc.transact(() => doc.getText('t').insert(0, 'z'), remote); // not ours
    expect(sent).toEqual([50_000]);
    now += TYPING_SEND_INTERVAL_MS;
    doc.getText('t').insert(2, 'c');
    expect(sent).toEqual([50_000, now]);
    awareness.destroy();
  });
});
