import type {
  ChatMessage,
  Conversation,
  ConversationList,
  MarkRead,
  MessagePage,
  NewConversation,
  NotificationList,
} from '../../../shared/api.js';
import { request, sendJson } from './request.js';

/** REST calls for conversations, chat messages and notifications (live ones arrive over /live). */

function conversationPath(id: string, rest = ''): string {
  return `/api/conversations/${encodeURIComponent(id)}${rest}`;
}

/** GET /api/conversations: mine, newest activity first. */
export async function listConversations(): Promise<Conversation[]> {
  const body = await request<ConversationList>('/api/conversations');
  return Array.isArray(body?.conversations) ? body.conversations : [];
}

/** GET /api/groups: every group, to join. */
export async function listGroups(): Promise<Conversation[]> {
  const body = await request<ConversationList>('/api/groups');
  return Array.isArray(body?.conversations) ? body.conversations : [];
}

/** GET /api/conversations/:id (a document's chat is `doc:<docId>`). */
export function getConversation(id: string): Promise<Conversation> {
  return request<Conversation>(conversationPath(id));
}

/** POST /api/conversations: finds or creates a direct conversation, or creates a group. */
export function createConversation(spec: NewConversation): Promise<Conversation> {
  return sendJson<Conversation>('POST', '/api/conversations', spec);
}

/** POST /api/conversations/:id/members: adds someone to a group I am in. */
export function addConversationMember(id: string, userId: string): Promise<void> {
  return sendJson<void>('POST', conversationPath(id, '/members'), { userId });
}

/** POST /api/conversations/:id/join: joins a group. */
export function joinGroup(id: string): Promise<void> {
  return request<void>(conversationPath(id, '/join'), { method: 'POST' });
}

/** DELETE /api/conversations/:id/members/me: leaves a group. */
export function leaveGroup(id: string): Promise<void> {
  return request<void>(conversationPath(id, '/members/me'), { method: 'DELETE' });
}

/** GET /api/conversations/:id/messages: a page of messages, oldest first, before `before` (newest when omitted). */
export async function getMessages(id: string, before?: number, limit = 50): Promise<MessagePage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) query.set('before', String(before));
  const body = await request<MessagePage>(conversationPath(id, `/messages?${query}`));
  return { messages: Array.isArray(body?.messages) ? body.messages : [], hasMore: body?.hasMore === true };
}

/** POST /api/conversations/:id/messages: posts a message (used when the live connection is down). */
export function postMessage(id: string, text: string): Promise<ChatMessage> {
  return sendJson<ChatMessage>('POST', conversationPath(id, '/messages'), { text });
}

/** POST /api/conversations/:id/read: I have read up to `messageId`. */
export function markConversationRead(id: string, messageId: number): Promise<void> {
  return sendJson<void>('POST', conversationPath(id, '/read'), { messageId });
}

/** GET /api/notifications: newest first, with the unread count. */
export async function listNotifications(): Promise<NotificationList> {
  const body = await request<NotificationList>('/api/notifications');
  return {
    notifications: Array.isArray(body?.notifications) ? body.notifications : [],
    unread: typeof body?.unread === 'number' ? body.unread : 0,
  };
}

/** POST /api/notifications/read: marks these (or, without ids, all) read. */
export function markNotificationsRead(ids?: number[]): Promise<void> {
  const body: MarkRead = ids === undefined ? {} : { ids };
  return sendJson<void>('POST', '/api/notifications/read', body);
}
