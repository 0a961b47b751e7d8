import { isSafeUrl } from '../../../../shared/safeUrl.js';
import { el } from '../../ui/dom.js';
import { splitMentions } from '../../chat/mentions.js';

/** http(s) and mailto addresses in a comment, up to whitespace (trailing punctuation left out). */
const ADDRESS = /\b(?:https?:\/\/|mailto:)[^\s<>"]+[^\s<>".,;:!?)\]}'’”]/gi;

/**
 * A comment's text as DOM: text nodes, `@name` mentions (`.mention`, `.me` when it names me), and
 * links for the http(s) and mailto addresses it holds, each checked by isSafeUrl (shared/safeUrl.ts)
 * and opened in a new tab without the opener. Nothing is parsed as HTML: `<b>` stays the
 * characters `<b>`, and `javascript:…` is never a link.
 */
export function renderCommentBody(text: string, myName: string | null): HTMLElement {
  const body = el('p', { className: 'comment-body' });
  for (const part of splitMentions(text, myName)) {
    if (part.mention !== undefined) {
      body.append(el('span', { className: part.me ? 'mention me' : 'mention', text: part.text }));
      continue;
    }
    let last = 0;
    for (const match of part.text.matchAll(ADDRESS)) {
      const address = match[0];
      if (match.index! > last) body.append(part.text.slice(last, match.index!));
      body.append(isSafeUrl(address) ? el('a', { text: address, attrs: { href: address, target: '_blank', rel: 'noopener noreferrer nofollow' } }) : address);
      last = match.index! + address.length;
    }
    if (last < part.text.length) body.append(part.text.slice(last));
  }
  return body;
}
