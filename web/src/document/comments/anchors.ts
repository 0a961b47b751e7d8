import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition } from 'y-prosemirror';
import * as Y from 'yjs';

/** y-prosemirror's map from Y types to the ProseMirror nodes they render (the binding's `mapping`). */
export type YMapping = Parameters<typeof relativePositionToAbsolutePosition>[3];

/** A thread's range as Yjs relative positions: the first character's, and just after the last one's. */
export interface EncodedAnchor {
  start: Uint8Array;
  end: Uint8Array;
}

/**
 * The anchor of the ProseMirror range from..to (from < to) of a document bound to `fragment`. The
 * start sticks to the range's first character (assoc 0) and the end to its last (assoc -1), so text
 * typed just before or just after the range stays outside it, text typed inside it joins it, and a
 * deleted first or last character moves the edge to the nearest one left.
 */
export function anchorOfRange(ydoc: Y.Doc, fragment: Y.XmlFragment, mapping: YMapping, from: number, to: number): EncodedAnchor {
  const start = absolutePositionToRelativePosition(from, fragment, mapping) as Y.RelativePosition;
  const endRight = absolutePositionToRelativePosition(to, fragment, mapping) as Y.RelativePosition;
  // y-prosemirror's positions stick to the right; the end is made again to stick to its left.
  const at = Y.createAbsolutePositionFromRelativePosition(endRight, ydoc);
  const end = at === null ? endRight : Y.createRelativePositionFromTypeIndex(at.type, at.index, -1);
  return { start: Y.encodeRelativePosition(start), end: Y.encodeRelativePosition(end) };
}

/**
 * Where an anchor is now in the ProseMirror document bound to `fragment`: from < to, or null when
 * its text is gone (every character of it deleted), or it cannot be resolved here (positions of
 * changes this document does not have yet, or bytes that are not relative positions).
 */
export function resolveAnchor(ydoc: Y.Doc, fragment: Y.XmlFragment, mapping: YMapping, anchor: EncodedAnchor): { from: number; to: number } | null {
  try {
    const from = relativePositionToAbsolutePosition(ydoc, fragment, Y.decodeRelativePosition(anchor.start), mapping);
    const to = relativePositionToAbsolutePosition(ydoc, fragment, Y.decodeRelativePosition(anchor.end), mapping);
    if (from === null || to === null || to <= from) return null;
    return { from, to };
  } catch {
    // A position in a part of the tree this window has not rendered (or foreign bytes): not shown.
    return null;
  }
}

/** Base64 of bytes, and back (the API carries anchors as base64). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
