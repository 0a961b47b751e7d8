import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import { findMentions, MAX_CHAT_MESSAGE_CHARS, MAX_GROUP_TITLE_CHARS } from '../../shared/accounts.js';
import type { ChatMessage, Conversation, ConversationKind, MessagePage } from '../../shared/api.js';
import { isValidDocId } from '../../shared/docId.js';
import { charCount, cleanTitle, excerptOf, MAX_EXCERPT_CHARS, stripBidiControls } from '../../shared/text.js';
import type { AccountStore, ConversationRecord, UserRecord } from '../accounts/accountStore.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { LiveHub } from '../live/liveHub.js';
import type { DocAccess } from '../people/docAccess.js';
import type { Notifications } from '../people/notifications.js';
import type { DocStore } from '../store/docStore.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { messageView, publicUserOf, UserDirectory } from './views.js';

/** Why a chat action was refused: the HTTP status, a stable code, and a sentence for people. */
export interface ChatRefusal {
  refused: true;
  status: number;
  error: ChatErrorCode;
  message: string;
}

export type ChatErrorCode =
  | 'invalid_id'
  | 'no_such_conversation'
  | 'not_member'
  | 'not_a_group'
  | 'empty'
  | 'too_long'
  | 'rate_limited'
  | 'no_such_user'
  | 'invalid_user'
  | 'invalid_title'
  | 'already_member';

export type ChatResult<T> = T | ChatRefusal;

export function isRefusal(value: unknown): value is ChatRefusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true;
}

function refuse(status: number, error: ChatErrorCode, message: string): ChatRefusal {
  return { refused: true, status, error, message };
}

/** Direct and group conversation ids: 16 random base64url characters (96 bits). */
const CONVERSATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DOC_CONVERSATION_PREFIX = 'doc:';
/** At most this many people are notified of one message's mentions. */
const MAX_MENTIONS_PER_MESSAGE = 20;
/** A mention notification quotes the message up to this many characters. */
const EXCERPT_CHARS = MAX_EXCERPT_CHARS;
/** A new group may start with at most this many members besides its creator. */
export const MAX_GROUP_START_MEMBERS = 100;

/** A conversation as the caller may see it: who is in it and what it is called. */
export interface ResolvedConversation {
  id: string;
  kind: ConversationKind;
  /** The record of a direct or group conversation (a document's chat has none). */
  record: ConversationRecord | null;
  docId?: string;
  /** A group's name or a document's title ('' for a direct conversation: its title depends on who looks). */
  title: string;
  /** Its members (a document's chat: the document's members). */
  memberIds: string[];
  /** Whether the caller may read and post (a group's visitor may only look at it, to join). */
  canPost: boolean;
}

export interface ChatServiceOptions {
  accounts: AccountStore;
  access: DocAccess;
  notifications: Notifications;
  live: LiveHub;
  registry: RoomRegistry;
  store: DocStore;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** Messages one user may post per second, and the burst above that (then rate_limited). */
  messagesPerSecond: number;
  burst: number;
}

const chars = charCount;
const excerpt = (text: string): string => excerptOf(text, EXCERPT_CHARS);

/**
 * Conversations and chat messages: a document's chat (`doc:<docId>`, whose members are the
 * document's), direct conversations between two people, and named groups anyone may join. Posting
 * goes through `post` whether it comes over /live or REST: the author is always the signed-in user
 * and the time the server's; the message is stored, then delivered live to every member (the
 * author's other windows included), then the people it mentions are notified.
 */
export class ChatService {
  private readonly buckets: KeyedTokenBuckets;

  constructor(private readonly options: ChatServiceOptions) {
    this.buckets = new KeyedTokenBuckets(options.messagesPerSecond, options.burst);
  }

  /** Forgets idle rate-limit buckets (run now and then). */
  sweep(): void {
    this.buckets.sweep();
  }

  /**
   * The conversation `id` as `user` may see it. A group is visible to everyone (to join it);
   * `canPost` says whether the user is in it. Someone else's direct conversation does not exist
   * for them; a document's chat is open to whoever the document admits (any role).
   */
  async resolve(user: UserRecord, id: string): Promise<ChatResult<ResolvedConversation>> {
    const { accounts } = this.options;
    if (typeof id !== 'string') return refuse(400, 'invalid_id', 'That is not a conversation id.');
    if (id.startsWith(DOC_CONVERSATION_PREFIX)) {
      const docId = id.slice(DOC_CONVERSATION_PREFIX.length);
      if (!isValidDocId(docId)) return refuse(400, 'invalid_id', 'That is not a conversation id.');
      const access = await this.options.access.resolve(docId, user, false);
      if ('refused' in access) {
        return access.refused === 'deleted'
          ? refuse(404, 'no_such_conversation', 'That document was deleted, and its chat with it.')
          : refuse(404, 'not_member', 'There is no such document, or you do not have access to it.');
      }
      const title = await this.docTitle(docId);
      if (title === null) return refuse(404, 'no_such_conversation', 'There is no such document.');
      const members = await accounts.listMembers(docId);
      return { id, kind: 'doc', record: null, docId, title, memberIds: members.map((m) => m.userId), canPost: true };
    }
    if (!CONVERSATION_ID_PATTERN.test(id)) return refuse(400, 'invalid_id', 'That is not a conversation id.');
    const record = await accounts.getConversation(id);
    if (!record || record.kind === 'doc') return refuse(404, 'no_such_conversation', 'There is no such conversation.');
    const memberIds = await accounts.listConversationMembers(id);
    const isMember = memberIds.includes(user.id);
    if (!isMember && record.kind === 'direct') return refuse(404, 'no_such_conversation', 'There is no such conversation.');
    return { id, kind: record.kind, record, title: record.title, memberIds, canPost: isMember };
  }

  /** Like `resolve`, refusing a group the user is not in (not_member, 403). */
  async resolveMember(user: UserRecord, id: string): Promise<ChatResult<ResolvedConversation>> {
    const resolved = await this.resolve(user, id);
    if (isRefusal(resolved) || resolved.canPost) return resolved;
    return refuse(403, 'not_member', 'Join this group first.');
  }

  /**
   * Posts `text` as `author`: refused unless the author may post there, the text (trimmed, without
 * bidirectional formatting characters) is 1 to
   * MAX_CHAT_MESSAGE_CHARS characters (longer is refused, never cut), and the author is within
   * their rate. Resolves once the message is stored and delivered.
   */
  async post(author: UserRecord, conversationId: string, text: string): Promise<ChatResult<ChatMessage>> {
    if (typeof text !== 'string') return refuse(400, 'empty', 'Write a message first.');
    // Bidirectional controls removed: an override would make the message read otherwise than it is.
    const body = stripBidiControls(text).trim();
    if (body === '') return refuse(400, 'empty', 'Write a message first.');
    if (chars(body) > MAX_CHAT_MESSAGE_CHARS) {
      return refuse(400, 'too_long', `Messages may have at most ${MAX_CHAT_MESSAGE_CHARS} characters.`);
    }
    const conversation = await this.resolveMember(author, conversationId);
    if (isRefusal(conversation)) return conversation;
    if (!this.buckets.take(author.id)) {
      const seconds = Math.max(1, Math.ceil(this.buckets.msUntilToken(author.id) / 1000));
      return refuse(429, 'rate_limited', `You are sending messages too fast; wait ${seconds} s.`);
    }
    const record = await this.options.accounts.appendMessage({
      conversationId: conversation.id,
      authorId: author.id,
      text: body,
      createdAt: Date.now(),
    });
    this.options.metrics.chatMessages.inc();
    const message = messageView(record, publicUserOf(author));
    // The author may post through a document's link without being listed as its member.
    this.options.live.push([...conversation.memberIds, author.id], { type: 'message', message });
    await this.notifyMentions(author, conversation, message);
    return message;
  }

  /** A page of messages, oldest first, older than `beforeId` (the newest when null). */
  async messages(user: UserRecord, id: string, beforeId: number | null, limit: number): Promise<ChatResult<MessagePage>> {
    const conversation = await this.resolveMember(user, id);
    if (isRefusal(conversation)) return conversation;
    const page = await this.options.accounts.listMessages(conversation.id, beforeId, limit);
    const users = new UserDirectory(this.options.accounts).know(user);
    const messages = await Promise.all(page.messages.map(async (m) => messageView(m, await users.get(m.authorId))));
    return { messages, hasMore: page.hasMore };
  }

  /** Marks the conversation read up to `messageId` (at most its newest message: later ones stay unread). */
  async markRead(user: UserRecord, id: string, messageId: number): Promise<ChatResult<void>> {
    const conversation = await this.resolveMember(user, id);
    if (isRefusal(conversation)) return conversation;
    const newest = (await this.options.accounts.listMessages(conversation.id, null, 1)).messages[0];
    if (!newest) return;
    await this.options.accounts.markConversationRead(user.id, conversation.id, Math.min(messageId, newest.id));
  }

  /** The conversation as `user` sees it (title, members, unread). */
  async describe(user: UserRecord, id: string): Promise<ChatResult<Conversation>> {
    const conversation = await this.resolve(user, id);
    if (isRefusal(conversation)) return conversation;
    return this.view(conversation, user.id);
  }

  /** My direct and group conversations, and the chats of my documents that have messages; newest activity first. */
  async list(user: UserRecord): Promise<Conversation[]> {
    const { accounts } = this.options;
    const users = new UserDirectory(accounts).know(user);
    const views: Array<{ view: Conversation; at: number }> = [];
    for (const record of await accounts.listConversationsOf(user.id)) {
      const memberIds = await accounts.listConversationMembers(record.id);
      const resolved: ResolvedConversation = { id: record.id, kind: record.kind, record, title: record.title, memberIds, canPost: true };
      const view = await this.view(resolved, user.id, users);
      views.push({ view, at: view.lastMessageAt ?? record.createdAt });
    }
    for (const membership of await accounts.listMemberships(user.id)) {
      const id = `${DOC_CONVERSATION_PREFIX}${membership.docId}`;
      if ((await accounts.lastMessageAt(id)) === null) continue;
      const resolved = await this.resolve(user, id);
      if (isRefusal(resolved)) continue;
      const view = await this.view(resolved, user.id, users);
      views.push({ view, at: view.lastMessageAt ?? 0 });
    }
    return views.sort((a, b) => b.at - a.at).map((entry) => entry.view);
  }

  /** Every group (to join), as `user` sees them; newest activity first. */
  async groups(user: UserRecord): Promise<Conversation[]> {
    const { accounts } = this.options;
    const users = new UserDirectory(accounts).know(user);
    const views: Array<{ view: Conversation; at: number }> = [];
    for (const record of await accounts.listGroups()) {
      const memberIds = await accounts.listConversationMembers(record.id);
      const canPost = memberIds.includes(user.id);
      const view = await this.view({ id: record.id, kind: 'group', record, title: record.title, memberIds, canPost }, user.id, users);
      views.push({ view, at: view.lastMessageAt ?? record.createdAt });
    }
    return views.sort((a, b) => b.at - a.at).map((entry) => entry.view);
  }

  /** Finds or creates the direct conversation between `user` and `otherId`; `created` when it is new. */
  async openDirect(user: UserRecord, otherId: string): Promise<ChatResult<{ conversation: Conversation; created: boolean }>> {
    const { accounts } = this.options;
    if (otherId === user.id) return refuse(400, 'invalid_user', 'A direct conversation is with someone else.');
    const other = await accounts.getUser(otherId);
    if (!other) return refuse(404, 'no_such_user', 'There is no such person.');
    let record = await accounts.findDirectConversation(user.id, other.id);
    let created = false;
    if (!record) {
      const fresh: ConversationRecord = { id: newConversationId(), kind: 'direct', title: '', createdBy: user.id, createdAt: Date.now() };
      try {
        await accounts.createConversation(fresh, [user.id, other.id]);
        record = fresh;
        created = true;
      } catch (error) {
        // The other person opened it at the same moment: theirs stands (one per pair).
        record = await accounts.findDirectConversation(user.id, other.id);
        if (!record) throw error;
      }
    }
    const resolved: ResolvedConversation = { id: record.id, kind: 'direct', record, title: '', memberIds: [user.id, other.id], canPost: true };
    if (created) await this.announce(resolved, [other.id, user.id]);
    return { conversation: await this.view(resolved, user.id), created };
  }

  /** Creates a group named `title` with `user` and `memberIds` in it; each is told live. */
  async createGroup(user: UserRecord, title: string, memberIds: readonly string[]): Promise<ChatResult<Conversation>> {
    const { accounts } = this.options;
    const name = stripBidiControls(title).trim();
    if (name === '' || chars(name) > MAX_GROUP_TITLE_CHARS) {
      return refuse(400, 'invalid_title', `A group's name has 1 to ${MAX_GROUP_TITLE_CHARS} characters.`);
    }
    const ids = [...new Set([user.id, ...memberIds])];
    for (const id of ids) {
      if (id !== user.id && !(await accounts.getUser(id))) return refuse(404, 'no_such_user', 'There is no such person.');
    }
    const record: ConversationRecord = { id: newConversationId(), kind: 'group', title: name, createdBy: user.id, createdAt: Date.now() };
    await accounts.createConversation(record, ids);
    const resolved: ResolvedConversation = { id: record.id, kind: 'group', record, title: name, memberIds: ids, canPost: true };
    await this.announce(resolved, ids);
    return this.view(resolved, user.id);
  }

  /** A member of a group adds someone; every member (the new one included) is told live. */
  async addMember(user: UserRecord, id: string, newMemberId: string): Promise<ChatResult<void>> {
    const conversation = await this.resolveMember(user, id);
    if (isRefusal(conversation)) return conversation;
    if (conversation.kind !== 'group') return refuse(400, 'not_a_group', 'Only groups take new members.');
    const person = await this.options.accounts.getUser(newMemberId);
    if (!person) return refuse(404, 'no_such_user', 'There is no such person.');
    if (conversation.memberIds.includes(person.id)) return;
    await this.options.accounts.addConversationMember(conversation.id, person.id, Date.now());
    const memberIds = [...conversation.memberIds, person.id];
    await this.announce({ ...conversation, memberIds }, memberIds);
  }

  /** Anyone signed in joins a group; every member is told live. */
  async join(user: UserRecord, id: string): Promise<ChatResult<void>> {
    const conversation = await this.resolve(user, id);
    if (isRefusal(conversation)) return conversation;
    if (conversation.kind !== 'group') return refuse(400, 'not_a_group', 'Only groups can be joined.');
    if (conversation.canPost) return;
    await this.options.accounts.addConversationMember(conversation.id, user.id, Date.now());
    const memberIds = [...conversation.memberIds, user.id];
    await this.announce({ ...conversation, memberIds, canPost: true }, memberIds);
  }

  /** Leaves a group: my windows are told it is gone, the others that I left. */
  async leave(user: UserRecord, id: string): Promise<ChatResult<void>> {
    const conversation = await this.resolveMember(user, id);
    if (isRefusal(conversation)) return conversation;
    if (conversation.kind !== 'group') return refuse(400, 'not_a_group', 'Only groups can be left.');
    if (!(await this.options.accounts.removeConversationMember(conversation.id, user.id))) {
      return refuse(403, 'not_member', 'You are not in this group.');
    }
    this.options.live.push([user.id], { type: 'conversationGone', conversationId: conversation.id });
    const memberIds = conversation.memberIds.filter((memberId) => memberId !== user.id);
    await this.announce({ ...conversation, memberIds }, memberIds);
  }

  /** Pushes the conversation, as each of `userIds` sees it, to their live sockets. */
  private async announce(conversation: ResolvedConversation, userIds: readonly string[]): Promise<void> {
    const users = new UserDirectory(this.options.accounts);
    for (const userId of new Set(userIds)) {
      // Made for everyone: in cluster mode their windows may be on another process.
      const view = await this.view({ ...conversation, canPost: conversation.memberIds.includes(userId) }, userId, users);
      this.options.live.push([userId], { type: 'conversation', conversation: view });
    }
  }

  private async view(conversation: ResolvedConversation, viewerId: string, users = new UserDirectory(this.options.accounts)): Promise<Conversation> {
    const { accounts } = this.options;
    const members = await users.all(conversation.memberIds);
    // Stored before bidirectional controls were removed on the way in, perhaps: removed here too.
    let title = stripBidiControls(conversation.title);
    if (conversation.kind === 'direct') {
      title = (members.find((member) => member.id !== viewerId) ?? members[0])?.name ?? '';
    }
    const [unread, lastMessageAt] = await Promise.all([
      conversation.canPost ? accounts.unreadCount(viewerId, conversation.id) : Promise.resolve(0),
      accounts.lastMessageAt(conversation.id),
    ]);
    const view: Conversation = { id: conversation.id, kind: conversation.kind, title, members, unread, lastMessageAt };
    if (conversation.docId !== undefined) view.docId = conversation.docId;
    return view;
  }

  /** The document's current title ('' untitled), or null when there is no such document. */
  private async docTitle(docId: string): Promise<string | null> {
    const title = this.options.registry.peek(docId)?.title;
    if (title != null) return title;
    const stored = await this.options.store.describe(docId);
    return stored ? cleanTitle(stored.title) : null;
  }

  /**
   * Notifies each person `@named` in the message who can see the conversation (its members; for a
   * document's chat, the document's members), not the author. A failure is logged: the message
   * itself is stored and delivered already.
   */
  private async notifyMentions(author: UserRecord, conversation: ResolvedConversation, message: ChatMessage): Promise<void> {
    const names = findMentions(message.text).slice(0, MAX_MENTIONS_PER_MESSAGE);
    if (names.length === 0) return;
    const notified = new Set<string>([author.id]);
    for (const name of names) {
      try {
        const person = await this.options.accounts.findUserByName(name);
        if (!person || notified.has(person.id) || !conversation.memberIds.includes(person.id)) continue;
        notified.add(person.id);
        await this.options.notifications.notify(person.id, author.id, {
          kind: 'mention',
          conversationId: conversation.id,
          // A direct conversation has no name of its own (the web app says "a chat").
          conversationTitle: conversation.kind === 'direct' ? '' : conversation.title,
          messageId: message.id,
          excerpt: excerpt(message.text),
          ...(conversation.docId !== undefined ? { docId: conversation.docId } : {}),
        });
      } catch (error) {
        this.options.log.warn({ err: error, conversationId: conversation.id, messageId: message.id }, 'could not notify a mention');
      }
    }
  }
}

function newConversationId(): string {
  return randomBytes(12).toString('base64url');
}
