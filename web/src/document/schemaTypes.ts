import type { MarkType, NodeType } from 'prosemirror-model';
import { schema } from '../../../shared/schema.js';

/**
 * The node and mark types of shared/schema.ts the editor uses, looked up once and checked, so the
 * rest of the web code need not handle "type missing" (the schema's maps are string-indexed).
 * Throws at load if the schema lacks one — a build-breaking mismatch, not a runtime condition.
 */
function node(name: string): NodeType {
  const type = schema.nodes[name];
  if (type === undefined) throw new Error(`shared schema has no node type "${name}"`);
  return type;
}

function mark(name: string): MarkType {
  const type = schema.marks[name];
  if (type === undefined) throw new Error(`shared schema has no mark type "${name}"`);
  return type;
}

export const nodes = {
  paragraph: node('paragraph'),
  heading: node('heading'),
  blockquote: node('blockquote'),
  hardBreak: node('hard_break'),
  bulletList: node('bullet_list'),
  orderedList: node('ordered_list'),
  listItem: node('list_item'),
} as const;

export const marks = {
  strong: mark('strong'),
  em: mark('em'),
  code: mark('code'),
  link: mark('link'),
} as const;
