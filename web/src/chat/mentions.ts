import { mentionSpans, userNameKey } from '../../../shared/accounts.js';

/** A piece of a chat message's text: plain, or an `@name` mention (`me`: it names the reader). */
export interface TextPart {
  text: string;
  mention?: string;
  me?: boolean;
}

/**
 * Splits `text` into plain parts and `@name` mentions (mentionSpans in shared/accounts.ts, the
 * rule the server notifies by). A mention whose name equals `myName`
 * (case-insensitively, as names are unique) is marked `me`. Joining every part's text gives `text`.
 */
export function splitMentions(text: string, myName: string | null): TextPart[] {
  const parts: TextPart[] = [];
  const myKey = myName === null ? null : userNameKey(myName);
  let last = 0;
  for (const { start, end, name } of mentionSpans(text)) {
    if (start > last) parts.push({ text: text.slice(last, start) });
    const part: TextPart = { text: text.slice(start, end), mention: name };
    if (myKey !== null && userNameKey(name) === myKey) part.me = true;
    parts.push(part);
    last = end;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** Whether `text` mentions `myName`. */
export function mentionsMe(text: string, myName: string | null): boolean {
  return splitMentions(text, myName).some((part) => part.me === true);
}
