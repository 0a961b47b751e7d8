import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { LoadError, RoomDoc } from '../../server/collab/roomDoc.js';
import { clientDoc } from '../helpers/roomFakes.js';

function stored(text: string) {
  const source = clientDoc(1);
  source.doc.getText('title').insert(0, 'T');
  source.type(text);
  return { source, row: Y.encodeStateAsUpdate(source.doc) };
}

describe('RoomDoc', () => {
  it('serves a one-row document from its bytes until something needs the doc', () => {
    const { source, row } = stored('abc');
    const content = new RoomDoc('d', [row], () => {});
    expect(content.isBuilt).toBe(false);
    expect(content.title).toBeNull();
    expect(content.stateVector()).toEqual(Y.encodeStateVector(source.doc));
    expect(content.answer(new Uint8Array([0]), true)).toBe(row);
    const behind = Y.encodeStateVector(new Y.Doc());
    expect(content.answer(behind, false)).toEqual(Y.diffUpdate(row, behind));
    expect(content.changesNothingUnbuilt(new Uint8Array([0, 0]))).toBe(true);
    expect(content.isBuilt).toBe(false);
    expect(content.doc.getText('body').toString()).toBe('abc');
    expect(content.isBuilt).toBe(true);
    expect(content.takeTitleChange()).toBeNull(); // building is not a change
    expect(content.answer(new Uint8Array([0]), true)).toBe(row); // still the whole state
    expect(content.changesNothingUnbuilt(new Uint8Array([0, 0]))).toBe(false);
  });

  it('drops the cached whole state at a change, and reports a title change once', () => {
    const { row } = stored('abc');
    const content = new RoomDoc('d', [row], () => {});
    const editor = clientDoc(2);
    Y.applyUpdate(editor.doc, row);
    editor.doc.getText('title').insert(1, 'itle');
    expect(content.apply(editor.updates.at(-1)!, 'peer').whole).toBe(true);
    const whole = content.answer(new Uint8Array([0]), true);
    expect(whole).not.toBe(row);
    expect(content.answer(new Uint8Array([0]), true)).toBe(whole); // cached again until the next change
    expect(content.takeTitleChange()).toBe('Title');
    expect(content.takeTitleChange()).toBeNull();
    expect(content.title).toBe('Title');
  });

  it('refuses rows that do not decode, or do not apply, at load; a one-row inconsistency when first built', () => {
    expect(() => new RoomDoc('d', [new Uint8Array([9, 9, 9])], () => {})).toThrow(LoadError);
    const client = clientDoc(1);
    client.type('a');
    const second = client.type('b');
    expect(() => new RoomDoc('d', [new Uint8Array(2).fill(0), second], () => {})).toThrow(/missing dependencies/);
    const failures: LoadError[] = [];
    const content = new RoomDoc('d', [second], (error) => failures.push(error));
    expect(() => content.doc).toThrow(expect.objectContaining({ code: CloseCode.loadFailed }));
    expect(() => content.doc).toThrow(expect.objectContaining({ code: CloseCode.loadFailed }));
    expect(failures).toHaveLength(1); // the room is refused once
    expect(content.isBuilt).toBe(true);
    expect(content.title).toBeNull();
  });
});
