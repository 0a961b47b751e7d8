import { describe, expect, it } from 'vitest';
import { findMentions } from '../../shared/accounts.js';
import { mentionsMe, splitMentions } from '../../web/src/chat/mentions.js';

describe('splitMentions (highlighting @names in chat)', () => {
  it('splits plain text and mentions, marking the reader\'s own name', () => {
    expect(splitMentions('hi @Ann and @bob.', 'ann')).toEqual([
      { text: 'hi ' },
      { text: '@Ann', mention: 'Ann', me: true },
      { text: ' and ' },
      { text: '@bob', mention: 'bob' },
      { text: '.' },
    ]);
  });

  it('finds exactly the names findMentions finds (the server\'s rule)', () => {
    for (const text of ['@ann at start', 'mail ann@example.com', '@a too short', '(@bob_1) x', 'a@@ann', 'end @ann...', '@ann@bob', 'ünï @Zoë-2!']) {
      const mentioned = splitMentions(text, null).flatMap((part) => (part.mention === undefined ? [] : [part.mention]));
      expect(mentioned).toEqual(findMentions(text));
    }
  });

  it('keeps every character: joining the parts gives the text back', () => {
    for (const text of ['', 'plain', '@ann', 'x @ann. @bob, @c', 'thanks @ann.']) {
      expect(splitMentions(text, 'ann').map((p) => p.text).join('')).toBe(text);
    }
  });

  it('tells whether a message mentions me', () => {
    expect(mentionsMe('ping @ANN', 'ann')).toBe(true);
    expect(mentionsMe('ping @annie', 'ann')).toBe(false);
    expect(mentionsMe('ping @ann', null)).toBe(false);
  });
});
