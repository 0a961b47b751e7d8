import type { FastifyBaseLogger } from 'fastify';
import * as Y from 'yjs';
import { canComment, findMentions, type Role } from '../../shared/accounts.js';
import type { ApiErrorCode, PublicUser } from '../../shared/api.js';
import {
  type CommentAnchor,
  type CommentThread,
  isReaction,
  MAX_ANCHOR_BYTES,
  MAX_COMMENT_CHARS,
  MAX_COMMENT_EXCERPT_CHARS,
  MAX_COMMENTS_PER_THREAD,
  type ThreadPage,
} from '../../shared/comments.js';
import { charCount, stripBidiControls } from '../../shared/text.js';
import type { AccountStore, AnchorRecord, ThreadRecord, UserRecord } from '../accounts/accountStore.js';
import { ApiHttpError } from '../api/apiError.js';
import { UserDirectory } from '../chat/views.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { LiveHub } from '../live/liveHub.js';
import type { DocAccess } from '../people/docAccess.js';
import type { Notifications } from '../people/notifications.js';
import type { DocStore } from '../store/docStore.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { notifyMentions } from './commentMentions.js';
import { cleanExcerpt, threadView } from './commentViews.js';
import { type Commenter, commenterId } from './commenter.js';

export interface CommentServiceOptions {
  accounts: AccountStore;
  access: DocAccess;
  notifications: Notifications;
  live: LiveHub;
  registry: RoomRegistry;
  store: DocStore;
  log: FastifyBaseLogger;
  /** Comment writes (threads, replies, edits, reactions, resolutions) one person may make per second, and the burst above that. */
  writesPerSecond: number;
  burst: number;
}

function refuse(status: number, code: ApiErrorCode, message: string): ApiHttpError {
  return new ApiHttpError(status, code, message);
}

/** A comment's text as stored: bidirectional controls removed, trimmed, 1 to MAX_COMMENT_CHARS characters. */
function cleanBody(body: string): string {
  const clean = stripBidiControls(body).trim();
  if (clean === '') throw refuse(400, 'empty', 'Write a comment first.');
  if (charCount(clean) > MAX_COMMENT_CHARS) throw refuse(400, 'too_long', `Comments may have at most ${MAX_COMMENT_CHARS} characters.`);
  return clean;
}

/** One encoded Yjs relative position, from base64; refused unless Yjs can decode it. */
function decodePosition(base64: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.length === 0 || bytes.length > MAX_ANCHOR_BYTES || Buffer.from(bytes).toString('base64') !== base64) {
    throw refuse(400, 'invalid_anchor', `An anchor is two encoded Yjs relative positions in base64, each at most ${MAX_ANCHOR_BYTES} bytes.`);
  }
  try {
    Y.decodeRelativePosition(bytes);
  } catch {
    throw refuse(400, 'invalid_anchor', 'That anchor is not an encoded Yjs relative position.');
  }
  return bytes;
}

/**
 * Comments on documents: threads anchored to the text, replies, edits, reactions, resolution. Every
 * write goes through here: the author is the signed-in user (or the guest) and the time the
 * server's; it is stored, then each member of the document, and each guest following it, is told on
 * /live (in every process) that the thread changed, then people @mentioned are notified. Reading
 * needs what opening the document needs (a visitor where the link admits visitors); writing needs a
 * role that may comment (owner, editor, commenter): a guest has the role the link gives visitors, so
 * guests comment where the link is "comment" or "edit" and are refused (403 not_allowed) where it is
 * "view". A guest's @mentions notify nobody (a notification names an account as its sender).
 * Refusals are thrown as ApiHttpError (the API's error pipeline).
 */
export class CommentService {
  private readonly buckets: KeyedTokenBuckets;

  constructor(private readonly options: CommentServiceOptions) {
    this.buckets = new KeyedTokenBuckets(options.writesPerSecond, options.burst);
  }

  /** Forgets idle rate-limit buckets (run now and then). */
  sweep(): void {
    this.buckets.sweep();
  }

  /** A page of the document's threads, oldest first, older than `beforeId` (the newest when null); `me`: the reader. */
  async list(who: Commenter, docId: string, beforeId: number | null, limit: number): Promise<ThreadPage> {
    await this.readable(docId, who.user);
    const page = await this.options.accounts.listThreads(docId, beforeId, limit);
    const users = this.directory(who);
    const threads = await Promise.all(page.threads.map((t) => threadView(t, users)));
    // A guest is shown under the name stored with their last write; one who never wrote, the name they send now.
    const me: PublicUser =
      who.user !== null
        ? await users.get(who.user.id)
        : { id: who.guest.id, name: (await this.options.accounts.guestName(who.guest.id)) ?? who.guest.name, guest: true };
    return { threads, hasMore: page.hasMore, me };
  }

  /** One thread of the document (404 no_such_thread when it has none by that id). */
  async get(who: Commenter, docId: string, threadId: number): Promise<CommentThread> {
    await this.readable(docId, who.user);
    return threadView(await this.thread(docId, threadId), this.directory(who));
  }

  /** Opens a thread on `anchor` with its first comment. */
  async createThread(user: Commenter, docId: string, anchor: CommentAnchor, body: string): Promise<CommentThread> {
    const text = cleanBody(body);
    const stored: AnchorRecord = {
      start: decodePosition(anchor.start),
      end: decodePosition(anchor.end),
      excerpt: cleanExcerpt(anchor.excerpt, MAX_COMMENT_EXCERPT_CHARS),
    };
    await this.writable(docId, user);
    const thread = await this.options.accounts.createThread({ docId, anchor: stored, createdBy: commenterId(user), createdAt: Date.now() }, text);
    await this.changed(user, thread, thread.comments[0]!.id, text, null);
    return threadView(thread, this.directory(user));
  }

  /** Adds a reply to a thread (refused with thread_full past MAX_COMMENTS_PER_THREAD). */
  async reply(user: Commenter, docId: string, threadId: number, body: string): Promise<CommentThread> {
    const text = cleanBody(body);
    await this.writable(docId, user);
    const thread = await this.thread(docId, threadId);
    if (thread.comments.length >= MAX_COMMENTS_PER_THREAD) {
      throw refuse(409, 'thread_full', `A thread holds at most ${MAX_COMMENTS_PER_THREAD} comments; start another.`);
    }
    const comment = await this.options.accounts.addComment({ threadId, authorId: commenterId(user), body: text, createdAt: Date.now() });
    return this.afterChange(user, docId, threadId, comment.id, text, null);
  }

  /**
   * Replaces the text of my own comment. People it @mentions who were not @mentioned before the
   * edit are notified (those the earlier text named were notified already).
   */
  async edit(user: Commenter, docId: string, commentId: number, body: string): Promise<CommentThread> {
    const text = cleanBody(body);
    await this.writable(docId, user);
    const { thread, comment } = await this.comment(docId, commentId);
    if (comment.authorId !== commenterId(user)) throw refuse(403, 'not_author', 'Only its author can edit a comment.');
    await this.options.accounts.editComment(commentId, text, Date.now());
    return this.afterChange(user, docId, thread.id, commentId, text, comment.body);
  }

  /** Deletes my own comment (the owner may delete anyone's); the thread goes with its last comment. */
  async remove(user: Commenter, docId: string, commentId: number): Promise<void> {
    const role = await this.readable(docId, user.user);
    this.spend(user);
    const { thread, comment } = await this.comment(docId, commentId);
    if (comment.authorId !== commenterId(user) && role !== 'owner') throw refuse(403, 'not_author', 'Only its author (or the document\'s owner) can delete a comment.');
    await this.options.accounts.deleteComment(commentId);
    await this.push(docId, thread.id, user);
  }

  /** Gives (on) or takes back one of REACTIONS on a comment. */
  async react(user: Commenter, docId: string, commentId: number, emoji: string, on: boolean): Promise<CommentThread> {
    if (!isReaction(emoji)) throw refuse(400, 'invalid_reaction', 'That reaction is not one of those offered.');
    await this.writable(docId, user);
    const { thread } = await this.comment(docId, commentId);
    if (!(await this.options.accounts.setReaction(commentId, commenterId(user), emoji, on, Date.now()))) {
      return threadView(thread, this.directory(user));
    }
    return this.afterChange(user, docId, thread.id, null, null, null);
  }

  /** Resolves (true) or reopens (false) a thread. */
  async resolve(user: Commenter, docId: string, threadId: number, resolved: boolean): Promise<CommentThread> {
    await this.writable(docId, user);
    const thread = await this.thread(docId, threadId);
    if ((thread.resolvedAt !== null) === resolved) return threadView(thread, this.directory(user));
    await this.options.accounts.setThreadResolved(threadId, resolved ? commenterId(user) : null, resolved ? Date.now() : null);
    return this.afterChange(user, docId, threadId, null, null, null);
  }

  /** The caller's role; throws 401/404/410 when the document does not admit them. */
  private async readable(docId: string, user: UserRecord | null): Promise<Role> {
    const { role } = await this.options.access.require(docId, user);
    if ((await this.options.store.describe(docId)) === null) {
      throw refuse(404, 'not_found', 'There is no such document, or you do not have access to it.');
    }
    return role;
  }

  /**
   * Like `readable`, refusing a role that may not comment (403) and a writer past their rate (429).
   */
  private async writable(docId: string, user: Commenter): Promise<void> {
    const role = await this.readable(docId, user.user);
    if (!canComment(role)) {
      const message = user.user === null
        ? 'The link to this document lets visitors read comments but not add to them; sign in, or ask its owner to let the link comment.'
        : 'You can read the comments on this document but not add to them.';
      throw refuse(403, 'not_allowed', message);
    }
    this.spend(user);
  }

  /**
   * Takes one write from the writer's rate bucket, and a guest's from its address's too (a guest can
   * become a new guest by dropping its cookie; its address stays); throws 429 when either is empty.
   */
  private spend(user: Commenter): void {
    const keys = user.guest === null ? [commenterId(user)] : [commenterId(user), `ip:${user.ip}`];
    const empty = keys.find((key) => !this.buckets.take(key));
    if (empty === undefined) return;
    const seconds = Math.max(1, Math.ceil(this.buckets.msUntilToken(empty) / 1000));
    this.options.log.warn({ userId: commenterId(user), bucket: empty.startsWith('ip:') ? 'address' : 'writer' }, 'refused a comment: rate limit');
    throw new ApiHttpError(429, 'rate_limited', `You are commenting too fast; wait ${seconds} s.`, { 'retry-after': String(seconds) });
  }

  private async thread(docId: string, threadId: number): Promise<ThreadRecord> {
    const thread = await this.options.accounts.getThread(threadId);
    if (!thread || thread.docId !== docId) throw refuse(404, 'no_such_thread', 'There is no such comment thread on this document.');
    return thread;
  }

  private async comment(docId: string, commentId: number) {
    const threadId = await this.options.accounts.threadOfComment(commentId);
    const thread = threadId === null ? null : await this.options.accounts.getThread(threadId);
    const comment = thread?.docId === docId ? thread.comments.find((c) => c.id === commentId) : undefined;
    if (!thread || !comment) throw refuse(404, 'no_such_comment', 'There is no such comment on this document.');
    return { thread, comment };
  }

  /**
   * Reads the thread again, tells everyone, notifies mentions in `text` (a new or edited comment's;
   * `before`: the edited comment's earlier text, whose mentions were notified already); resolves to the thread.
   */
  private async afterChange(
    user: Commenter,
    docId: string,
    threadId: number,
    commentId: number | null,
    text: string | null,
    before: string | null,
  ): Promise<CommentThread> {
    const thread = await this.thread(docId, threadId);
    await this.changed(user, thread, commentId, text, before);
    return threadView(thread, this.directory(user));
  }

  /** After a write that was stored: a guest's name is recorded (the latest they gave is shown), everyone told, mentions notified. */
  private async changed(user: Commenter, thread: ThreadRecord, commentId: number | null, text: string | null, before: string | null): Promise<void> {
    if (user.guest !== null) await this.options.accounts.saveGuest({ id: user.guest.id, name: user.guest.name, at: Date.now() });
    await this.push(thread.docId, thread.id, user);
    if (commentId === null || text === null) return;
    if (user.user === null) {
      if (findMentions(text).length > 0) this.options.log.info({ docId: thread.docId, commentId }, "a guest's @mentions notify nobody");
      return;
    }
    await notifyMentions(this.options, { author: user.user, docId: thread.docId, threadId: thread.id, commentId, text, before });
  }

  /**
   * Tells the document's members (and the actor, who may be in by the link alone) and the guests
   * following it that the thread changed.
   */
  private async push(docId: string, threadId: number, actor: Commenter): Promise<void> {
    const members = await this.options.accounts.listMembers(docId);
    const userIds = members.map((m) => m.userId);
    if (actor.user !== null) userIds.push(actor.user.id);
    this.options.live.pushToDocument(docId, userIds, { type: 'comments', docId, threadId });
  }

  /** People by id for one answer; a guest's name is always the stored one (written before any answer that shows it). */
  private directory(who: Commenter): UserDirectory {
    const users = new UserDirectory(this.options.accounts);
    return who.user !== null ? users.know(who.user) : users;
  }
}
