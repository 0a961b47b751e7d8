import type { PublicUser } from '../../../../shared/api.js';
import { type Comment, type CommentThread, REACTIONS } from '../../../../shared/comments.js';
import { button, el, timeElement } from '../../ui/dom.js';
import { relativeTime } from '../../ui/time.js';
import { renderCommentBody } from './commentBody.js';

/** What a thread card can ask for; each resolves when the server answered (or throws its refusal). */
export interface ThreadActions {
  reply(threadId: number, body: string): Promise<void>;
  edit(commentId: number, body: string): Promise<void>;
  remove(commentId: number): Promise<void>;
  react(commentId: number, emoji: string, on: boolean): Promise<void>;
  resolve(threadId: number, resolved: boolean): Promise<void>;
  /** The card was chosen: show its text. */
  select(threadId: number): void;
  /** Shows a refusal to the person. */
  failed(error: unknown): void;
}

export interface CardContext {
  me: PublicUser | null;
  /** Whether I may comment now. */
  commentable: boolean;
  /** Its text was deleted from the document. */
  orphaned: boolean;
  active: boolean;
  /** The reply box, kept across re-renders of the card (a draft survives a live update). */
  replyBox: HTMLTextAreaElement;
  /**
   * The edit boxes of comments being edited, kept by the panel across re-renders: a live update
   * (someone's reaction or reply) redraws the card, and the edit and its draft must stay open.
   */
  edits: CommentEdits;
}

/** The comments whose edit box is open, each with its box (and so its draft). */
export interface CommentEdits {
  /** The open box of a comment, or undefined when it is not being edited. */
  get(commentId: number): HTMLTextAreaElement | undefined;
  /** Opens a box holding the comment's text. */
  open(commentId: number, body: string): HTMLTextAreaElement;
  close(commentId: number): void;
}

/** How a person is named on a card: an account by its name, a guest as "<name> (guest)". */
export function shownName(user: PublicUser): string {
  return user.guest === true ? `${user.name} (guest)` : user.name;
}

/**
 * One thread in the sidebar: the text it is on (or that it was, when deleted), its comments with
 * their reactions, and — for whoever may comment — reply, reactions, edit and delete of one's own,
 * resolve and reopen. Every text is set as text.
 */
export function renderThreadCard(thread: CommentThread, context: CardContext, actions: ThreadActions): HTMLElement {
  const resolved = thread.resolvedAt !== null;
  const classes = ['comment-thread', resolved ? 'resolved' : '', context.orphaned ? 'orphaned' : '', context.active ? 'active' : ''];
  const card = el('article', {
    className: classes.filter(Boolean).join(' '),
    id: `comment-${thread.id}`,
    dataset: { threadId: String(thread.id) },
    attrs: { tabindex: '0', 'aria-label': `Comment thread on “${thread.anchor.excerpt}”` },
  });
  card.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('button, textarea, a') === null) actions.select(thread.id);
  });
  card.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === card) actions.select(thread.id);
  });
  card.append(el('blockquote', { className: 'thread-excerpt', text: thread.anchor.excerpt }));
  if (context.orphaned) card.append(el('p', { className: 'orphan-note', text: 'The text it was on was deleted.' }));
  if (resolved) {
    card.append(el('p', { className: 'resolved-note muted', text: `Resolved by ${thread.resolvedBy ? shownName(thread.resolvedBy) : 'someone'}` }));
  }
  for (const comment of thread.comments) card.append(renderComment(comment, context, actions));
  if (context.commentable) {
    if (!resolved) {
      const replyButton = button('Reply', () => {
        const body = context.replyBox.value;
        if (body.trim() === '') return;
        replyButton.disabled = true;
        actions.reply(thread.id, body).then(
          () => {
            context.replyBox.value = '';
          },
          (error: unknown) => {
            replyButton.disabled = false;
            actions.failed(error);
          },
        );
      }, { className: 'reply-button' });
      card.append(el('div', { className: 'reply-row' }, context.replyBox, replyButton));
    }
    card.append(
      button(resolved ? 'Reopen' : 'Resolve', () => actions.resolve(thread.id, !resolved).catch(actions.failed), {
        className: resolved ? 'reopen-button' : 'resolve-button',
      }),
    );
  }
  return card;
}

function renderComment(comment: Comment, context: CardContext, actions: ThreadActions): HTMLElement {
  const mine = context.me !== null && comment.author.id === context.me.id;
  const item = el('div', { className: 'comment', dataset: { commentId: String(comment.id) } });
  const header = el(
    'div',
    { className: 'comment-header' },
    el('strong', { className: comment.author.guest === true ? 'comment-author guest' : 'comment-author', text: shownName(comment.author) }),
    ' ',
    timeElement(comment.createdAt, relativeTime(comment.createdAt)),
    comment.editedAt !== null ? el('span', { className: 'muted', text: ' (edited)' }) : null,
  );
  const body = renderCommentBody(comment.body, context.me?.name ?? null);
  item.append(header, body);

  const reactions = el('div', { className: 'reactions' });
  for (const reaction of comment.reactions) {
    const names = reaction.users.map(shownName);
    const pressed = context.me !== null && reaction.users.some((user) => user.id === context.me!.id);
    const chip = button(`${reaction.emoji} ${reaction.users.length}`, () => actions.react(comment.id, reaction.emoji, !pressed).catch(actions.failed), {
      className: 'reaction',
      attrs: { 'aria-pressed': String(pressed), title: names.join(', '), 'aria-label': `${reaction.emoji} ${reaction.users.length}: ${names.join(', ')}` },
      dataset: { emoji: reaction.emoji },
    });
    chip.disabled = !context.commentable;
    reactions.append(chip);
  }
  if (context.commentable) {
    const picker = el('span', { className: 'reaction-picker', hidden: true });
    for (const emoji of REACTIONS) {
      picker.append(
        button(emoji, () => {
          picker.hidden = true;
          const given = comment.reactions.find((r) => r.emoji === emoji)?.users.some((u) => u.id === context.me?.id) ?? false;
          actions.react(comment.id, emoji, !given).catch(actions.failed);
        }, { className: 'reaction-choice', attrs: { 'aria-label': `React with ${emoji}` } }),
      );
    }
    reactions.append(button('☺+', () => (picker.hidden = !picker.hidden), { className: 'add-reaction', attrs: { 'aria-label': 'Add a reaction', title: 'Add a reaction' } }), picker);
  }
  item.append(reactions);

  if (mine && context.commentable) {
    const editForm = (editor: HTMLTextAreaElement): HTMLElement => {
      const save = button('Save', () => {
        save.disabled = true;
        // On success the panel closes the box and redraws the card with the new text.
        actions.edit(comment.id, editor.value).catch((error: unknown) => {
          save.disabled = false;
          actions.failed(error);
        });
      }, { className: 'save-edit' });
      const cancel = button('Cancel', () => {
        context.edits.close(comment.id);
        form.replaceWith(body);
      });
      const form = el('div', { className: 'comment-edit-form' }, editor, save, cancel);
      return form;
    };
    const open = context.edits.get(comment.id);
    if (open !== undefined) body.replaceWith(editForm(open));
    const tools = el('div', { className: 'comment-tools' });
    tools.append(
      button('Edit', () => {
        const editor = context.edits.get(comment.id) ?? context.edits.open(comment.id, comment.body);
        if (editor.isConnected) return editor.focus();
        body.replaceWith(editForm(editor));
        editor.focus();
      }, { className: 'edit-comment' }),
      button('Delete', () => {
        if (confirm('Delete this comment?')) actions.remove(comment.id).catch(actions.failed);
      }, { className: 'delete-comment' }),
    );
    item.append(tools);
  }
  return item;
}
