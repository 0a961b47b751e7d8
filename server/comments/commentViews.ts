import type { CommentReaction, CommentThread } from '../../shared/comments.js';
import { excerptOf, stripBidiControls } from '../../shared/text.js';
import type { ReactionRecord, ThreadRecord } from '../accounts/accountStore.js';
import type { UserDirectory } from '../chat/views.js';

/** A stored thread as the API shows it: people by name, anchors in base64, reactions grouped by emoji. */
export async function threadView(thread: ThreadRecord, users: UserDirectory): Promise<CommentThread> {
  return {
    id: thread.id,
    docId: thread.docId,
    anchor: {
      start: Buffer.from(thread.anchor.start).toString('base64'),
      end: Buffer.from(thread.anchor.end).toString('base64'),
      excerpt: stripBidiControls(thread.anchor.excerpt),
    },
    createdAt: thread.createdAt,
    resolvedAt: thread.resolvedAt,
    resolvedBy: thread.resolvedBy === null ? null : await users.get(thread.resolvedBy),
    comments: await Promise.all(
      thread.comments.map(async (comment) => ({
        id: comment.id,
        threadId: comment.threadId,
        author: await users.get(comment.authorId),
        body: stripBidiControls(comment.body),
        createdAt: comment.createdAt,
        editedAt: comment.editedAt,
        reactions: await groupReactions(comment.reactions, users),
      })),
    ),
  };
}

/** Reactions by emoji, each emoji in the order it was first given, its people in the order they gave it. */
async function groupReactions(reactions: readonly ReactionRecord[], users: UserDirectory): Promise<CommentReaction[]> {
  const byEmoji = new Map<string, string[]>();
  for (const reaction of reactions) byEmoji.set(reaction.emoji, [...(byEmoji.get(reaction.emoji) ?? []), reaction.userId]);
  return Promise.all([...byEmoji].map(async ([emoji, userIds]) => ({ emoji, users: await users.all(userIds) })));
}

/** An excerpt as stored and sent: without bidirectional controls, trimmed, at most `max` characters. */
export function cleanExcerpt(text: string, max: number): string {
  return excerptOf(stripBidiControls(text).trim(), max);
}
