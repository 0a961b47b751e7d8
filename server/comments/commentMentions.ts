import type { FastifyBaseLogger } from 'fastify';
import { findMentions } from '../../shared/accounts.js';
import { MAX_MENTIONS_PER_COMMENT } from '../../shared/comments.js';
import { cleanTitle, MAX_EXCERPT_CHARS } from '../../shared/text.js';
import type { AccountStore, UserRecord } from '../accounts/accountStore.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { DocAccess } from '../people/docAccess.js';
import type { Notifications } from '../people/notifications.js';
import type { DocStore } from '../store/docStore.js';
import { cleanExcerpt } from './commentViews.js';

/** What notifying mentions stands on: people, access, notifications, and the document's title. */
export interface MentionDeps {
  accounts: AccountStore;
  access: DocAccess;
  notifications: Notifications;
  registry: RoomRegistry;
  store: DocStore;
  log: FastifyBaseLogger;
}

/** A comment just stored (made, or edited: `before` is its earlier text; null for a new one). */
export interface MentioningComment {
  author: UserRecord;
  docId: string;
  threadId: number;
  commentId: number;
  text: string;
  before: string | null;
}

/**
 * Notifies each person `@named` in a comment who may read the document, not the author, at most
 * MAX_MENTIONS_PER_COMMENT; for an edit, only those the earlier text did not name (they were
 * notified then; names are matched as accounts, so "@Ann" and "@ann" are one person). Each
 * notification is a `commentMention` leading to the thread. A failure is logged, never thrown: the
 * comment is stored and delivered already.
 */
export async function notifyMentions(deps: MentionDeps, comment: MentioningComment): Promise<void> {
  const { author, docId, threadId, commentId, text, before } = comment;
  const names = findMentions(text).slice(0, MAX_MENTIONS_PER_COMMENT);
  if (names.length === 0) return;
  const notified = new Set<string>([author.id]);
  for (const name of before === null ? [] : findMentions(before).slice(0, MAX_MENTIONS_PER_COMMENT)) {
    const person = await deps.accounts.findUserByName(name).catch(() => null);
    if (person) notified.add(person.id);
  }
  let docTitle: string | null = null;
  for (const name of names) {
    try {
      const person = await deps.accounts.findUserByName(name);
      if (!person || notified.has(person.id)) continue;
      if ('refused' in (await deps.access.resolve(docId, person, false))) continue;
      notified.add(person.id);
      docTitle ??= deps.registry.peek(docId)?.title ?? cleanTitle((await deps.store.describe(docId))?.title ?? '');
      await deps.notifications.notify(person.id, author.id, {
        kind: 'commentMention',
        docId,
        docTitle,
        threadId,
        commentId,
        excerpt: cleanExcerpt(text, MAX_EXCERPT_CHARS),
      });
    } catch (error) {
      deps.log.warn({ err: error, docId, commentId }, 'could not notify a comment mention');
    }
  }
}
