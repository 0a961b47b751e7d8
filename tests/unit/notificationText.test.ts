import { describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/api.js';
import { describeNotification } from '../../web/src/chat/notificationText.js';

const ann = { id: 'u1', name: 'Ann' };

describe('describeNotification', () => {
  it('says who shared what with which role, linking to the document', () => {
    const n: Notification = { kind: 'share', id: 1, docId: 'abc', docTitle: 'Plan', role: 'editor', actor: ann, createdAt: 1, readAt: null };
    expect(describeNotification(n)).toEqual({ text: 'Ann shared “Plan” with you (Can edit)', href: '/d/abc' });
    expect(describeNotification({ ...n, docTitle: ' ', role: 'viewer' }).text).toBe('Ann shared “Untitled” with you (Can view)');
  });

  it('links a mention to the document\'s chat or to the conversation', () => {
    const n: Notification = {
      kind: 'mention', id: 2, conversationId: 'doc:abc', conversationTitle: 'Plan', messageId: 9, excerpt: 'look @bob', docId: 'abc',
      actor: ann, createdAt: 1, readAt: null,
    };
    expect(describeNotification(n)).toEqual({ text: 'Ann mentioned you in “Plan”: look @bob', href: '/d/abc#chat' });
    const { docId: _drop, ...direct } = n;
    expect(describeNotification({ ...direct, conversationId: 'c 1' } as Notification).href).toBe('/chats/c%201');
  });
});
