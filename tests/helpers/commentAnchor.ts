import * as Y from 'yjs';
import type { CommentAnchor } from '../../shared/comments.js';

/** An anchor as the REST API takes it: characters from..to of `text` in a scratch Y.Text (base64 relative positions). */
export function anchorIn(text: string, from: number, to: number): CommentAnchor {
  const doc = new Y.Doc();
  const ytext = doc.getText('text');
  ytext.insert(0, text);
  const encode = (index: number) => Buffer.from(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, index))).toString('base64');
  return { start: encode(from), end: encode(to), excerpt: text.slice(from, to) };
}
