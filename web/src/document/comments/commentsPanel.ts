import type { EditorView } from 'prosemirror-view';
import { ySyncPluginKey } from 'y-prosemirror';
import type * as Y from 'yjs';
import type { PublicUser } from '../../../../shared/api.js';
import { type CommentThread, MAX_COMMENT_EXCERPT_CHARS } from '../../../../shared/comments.js';
import { excerptOf } from '../../../../shared/text.js';
import * as api from '../../api/commentsApi.js';
import { ApiRequestError } from '../../api/request.js';
import type { LiveClient } from '../../live/liveClient.js';
import { button, el } from '../../ui/dom.js';
import type { DocRole } from '../docRole.js';
import { anchorOfRange, type EncodedAnchor, fromBase64, toBase64, type YMapping } from './anchors.js';
import { setHighlights, type ThreadRanges } from './commentHighlights.js';
import { type CommentEdits, renderThreadCard, type ThreadActions } from './threadCard.js';

export interface CommentsElements {
  /** `#comments-panel`: the sidebar section. */
  panel: HTMLElement;
  /** `#comment-button`: "Comment" on the selection. */
  commentButton: HTMLButtonElement;
}

export interface CommentsContext {
  docId: string;
  /** The signed-in account; null for a visitor (who comments as a guest where the link allows it). */
  me: PublicUser | null;
  /** A visitor's chosen display name (sent with their writes); null when signed in. */
  guestName: () => string | null;
  role: DocRole;
  /** /live: the account's socket, or a visitor's guest socket following this document. */
  live: LiveClient | null;
  /** Whether the document has synced with the server (before that, a missing range is not yet an orphan). */
  synced: () => boolean;
}

/** The sidebar's handle: what the editor tells it, and the one command it offers. */
export interface CommentsPanel {
  /** Where each thread's text is now (from the highlights plugin). */
  rangesChanged(ranges: ThreadRanges): void;
  /** The editor's selection may have changed: the Comment button follows it. */
  selectionChanged(): void;
  /** A thread's text was clicked. */
  select(threadId: number): void;
  /** "Comment" on the selection (button, Ctrl+Alt+M): false when there is nothing to comment on. */
  startThread(): boolean;
  /** Reads every thread again. */
  reload(): Promise<void>;
}

/**
 * The comments sidebar of a document: its open threads in document order (resolved ones on
 * request), the composer for a new thread on the selection, and every thread's card. Threads come
 * from the REST API and change live: /live says which thread changed, the panel reads it again
 * (and everything again after /live reconnects). The editor shows each thread's text highlighted
 * (commentHighlights.ts); choosing one side shows the other.
 */
export function bindComments(els: CommentsElements, context: CommentsContext, view: () => EditorView): CommentsPanel {
  const { docId, role, live, guestName } = context;
  // A visitor learns their guest identity (whose comments are theirs) from the first list.
  let me = context.me;
  const threads = new Map<number, CommentThread>();
  const replyBoxes = new Map<number, HTMLTextAreaElement>();
  const editBoxes = new Map<number, HTMLTextAreaElement>();
  const edits: CommentEdits = {
    get: (commentId) => editBoxes.get(commentId),
    open(commentId, body) {
      const box = el('textarea', { className: 'comment-edit', attrs: { 'aria-label': 'Edit your comment', rows: '3' } });
      box.value = body;
      editBoxes.set(commentId, box);
      return box;
    },
    close: (commentId) => editBoxes.delete(commentId),
  };
  let ranges: ThreadRanges = new Map();
  let active: number | null = null;
  let composing: { anchor: EncodedAnchor; excerpt: string } | null = null;

  const heading = el('h2', { id: 'comments-heading', text: 'Comments' });
  const showResolved = el('input', { id: 'show-resolved', attrs: { type: 'checkbox' } });
  const toggle = el('label', { className: 'show-resolved' }, showResolved, ' Show resolved');
  const problem = el('p', { id: 'comments-problem', className: 'banner danger', attrs: { role: 'alert' }, hidden: true });
  const composer = el('div', { id: 'comment-composer', className: 'comment-composer', hidden: true });
  const list = el('div', { id: 'comment-threads', className: 'comment-threads' });
  const empty = el('p', { className: 'muted comments-empty', text: 'No comments yet. Select text and choose Comment (Ctrl+Alt+M).' });
  els.panel.replaceChildren(heading, toggle, problem, composer, list, empty);
  showResolved.addEventListener('change', () => {
    pushAnchors();
    render();
  });

  const failed = (error: unknown): void => {
    problem.hidden = false;
    problem.textContent = error instanceof Error ? error.message : 'That did not work.';
  };
  const cleared = (): void => {
    problem.hidden = true;
  };
  const took = (thread: CommentThread): void => {
    cleared();
    threads.set(thread.id, thread);
    pushAnchors();
    render();
  };

  const actions: ThreadActions = {
    reply: async (threadId, body) => took(await api.replyTo(docId, threadId, body, guestName())),
    edit: async (commentId, body) => {
      const thread = await api.editComment(docId, commentId, body, guestName());
      editBoxes.delete(commentId);
      took(thread);
    },
    remove: async (commentId) => {
      const threadId = [...threads.values()].find((t) => t.comments.some((c) => c.id === commentId))?.id;
      await api.deleteComment(docId, commentId, guestName());
      if (threadId !== undefined) await refresh(threadId);
    },
    react: async (commentId, emoji, on) => took(await api.setReaction(docId, commentId, emoji, on, guestName())),
    resolve: async (threadId, resolved) => took(await api.setResolved(docId, threadId, resolved, guestName())),
    select: (threadId) => select(threadId, true),
    failed,
  };

  function visible(thread: CommentThread): boolean {
    return thread.resolvedAt === null || showResolved.checked;
  }

  function orphaned(thread: CommentThread): boolean {
    return context.synced() && ranges.has(thread.id) && ranges.get(thread.id) === null;
  }

  /** Open threads in the order of their text; orphans after, oldest first. */
  function ordered(): CommentThread[] {
    const position = (t: CommentThread) => ranges.get(t.id)?.from ?? Number.MAX_SAFE_INTEGER;
    return [...threads.values()].filter(visible).sort((a, b) => position(a) - position(b) || a.id - b.id);
  }

  function replyBox(threadId: number): HTMLTextAreaElement {
    let box = replyBoxes.get(threadId);
    if (box === undefined) {
      box = el('textarea', { className: 'reply-input', attrs: { rows: '2', placeholder: 'Reply… (@name to mention)', 'aria-label': 'Reply' } });
      replyBoxes.set(threadId, box);
    }
    return box;
  }

  function render(): void {
    // An edit box whose comment is gone (deleted here or elsewhere) closes.
    const present = new Set([...threads.values()].flatMap((t) => t.comments.map((c) => c.id)));
    for (const commentId of editBoxes.keys()) if (!present.has(commentId)) editBoxes.delete(commentId);
    // The box being typed in (a reply or an edit) is moved into its new card, which blurs it: read
    // which it is before the cards are built, and give it the focus back once they show.
    const focusedBox = document.activeElement instanceof HTMLTextAreaElement && list.contains(document.activeElement) ? document.activeElement : null;
    const shown = ordered();
    const cards = shown.map((thread) =>
      renderThreadCard(thread, { me, commentable: role.commentable && me !== null, orphaned: orphaned(thread), active: thread.id === active, replyBox: replyBox(thread.id), edits }, actions),
    );
    list.replaceChildren(...cards);
    if (focusedBox?.isConnected === true) focusedBox.focus();
    empty.hidden = threads.size > 0;
    els.panel.dataset['threads'] = String(shown.length);
  }

  function pushAnchors(): void {
    const anchors = new Map<number, EncodedAnchor>();
    for (const thread of threads.values()) {
      if (visible(thread)) anchors.set(thread.id, { start: fromBase64(thread.anchor.start), end: fromBase64(thread.anchor.end) });
    }
    const editor = view();
    // Threads change from the network: the editor reads a selection the person just made before
    // this redraw (pendingInput.ts, readInputFirst).
    editor.dispatch(setHighlights(editor.state.tr, { anchors }));
  }

  function select(threadId: number, fromSidebar: boolean): void {
    active = threadId;
    const editor = view();
    editor.dispatch(setHighlights(editor.state.tr, { active: threadId }));
    render();
    const card = list.querySelector<HTMLElement>(`[data-thread-id="${threadId}"]`);
    if (fromSidebar) {
      const range = ranges.get(threadId);
      if (range) {
        const { node } = editor.domAtPos(range.from);
        (node instanceof HTMLElement ? node : node.parentElement)?.scrollIntoView({ block: 'center' });
      }
      card?.focus({ preventScroll: true });
    } else {
      card?.scrollIntoView({ block: 'nearest' });
    }
  }

  async function refresh(threadId: number): Promise<void> {
    try {
      threads.set(threadId, await api.getThread(docId, threadId));
    } catch (error) {
      if (!(error instanceof ApiRequestError) || error.status !== 404) return failed(error);
      threads.delete(threadId);
      replyBoxes.delete(threadId);
    }
    pushAnchors();
    render();
  }

  async function reload(): Promise<void> {
    try {
      const all = await api.listAllThreads(docId, guestName());
      me = all.me;
      threads.clear();
      for (const thread of all.threads) threads.set(thread.id, thread);
      pushAnchors();
      selectionChanged();
      render();
    } catch (error) {
      failed(error);
    }
  }

  /**
   * The selected range, read from the DOM first: ProseMirror takes a selection made with the
   * keyboard or mouse in on the next selectionchange event, after a shortcut pressed at once (Shift+←
   * then Ctrl+Alt+M) has already arrived. Null when nothing is selected.
   */
  function selectionRange(): { from: number; to: number } | null {
    const editor = view();
    const dom = document.getSelection();
    // A collapsed DOM selection is no range (and reading its position walks the blocks before it:
    // this runs after every keystroke): the editor's own selection decides, as it did below.
    if (dom !== null && !dom.isCollapsed && dom.anchorNode !== null && dom.focusNode !== null && editor.dom.contains(dom.anchorNode) && editor.dom.contains(dom.focusNode)) {
      try {
        const anchor = editor.posAtDOM(dom.anchorNode, dom.anchorOffset);
        const head = editor.posAtDOM(dom.focusNode, dom.focusOffset);
        if (anchor !== head) return { from: Math.min(anchor, head), to: Math.max(anchor, head) };
      } catch {
        // A DOM position ProseMirror cannot map (inside a widget): its own selection decides.
      }
    }
    const { from, to, empty: isEmpty } = editor.state.selection;
    return isEmpty ? null : { from, to };
  }

  function startThread(): boolean {
    const range = selectionRange();
    if (range === null || !role.commentable || me === null) return false;
    const editor = view();
    const binding = (ySyncPluginKey.getState(editor.state) as { binding?: { doc: Y.Doc; type: Y.XmlFragment; mapping: YMapping } | null }).binding;
    if (!binding) return false;
    const anchor = anchorOfRange(binding.doc, binding.type, binding.mapping, range.from, range.to);
    const excerpt = excerptOf(editor.state.doc.textBetween(range.from, range.to, ' ').trim(), MAX_COMMENT_EXCERPT_CHARS);
    composing = { anchor, excerpt };
    const input = el('textarea', { id: 'new-comment', attrs: { rows: '3', placeholder: 'Comment… (@name to mention)', 'aria-label': 'New comment' } });
    const post = button('Comment', () => {
      if (composing === null || input.value.trim() === '') return;
      post.disabled = true;
      const { anchor: made, excerpt: quoted } = composing;
      api.createThread(docId, { start: toBase64(made.start), end: toBase64(made.end), excerpt: quoted }, input.value, guestName()).then(
        (thread) => {
          composing = null;
          composer.hidden = true;
          composer.replaceChildren();
          took(thread);
          select(thread.id, false);
        },
        (error: unknown) => {
          post.disabled = false;
          failed(error);
        },
      );
    }, { id: 'post-comment' });
    const cancel = button('Cancel', () => {
      composing = null;
      composer.hidden = true;
      composer.replaceChildren();
      editor.focus();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) post.click();
      if (event.key === 'Escape') cancel.click();
    });
    composer.replaceChildren(el('blockquote', { className: 'thread-excerpt', text: excerpt }), input, el('div', { className: 'composer-actions' }, post, cancel));
    composer.hidden = false;
    input.focus();
    return true;
  }

  function selectionChanged(): void {
    els.commentButton.disabled = !role.commentable || me === null || selectionRange() === null;
  }

  els.commentButton.addEventListener('mousedown', (event) => event.preventDefault());
  els.commentButton.addEventListener('click', () => startThread());
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey && event.altKey && event.code === 'KeyM' && startThread()) event.preventDefault();
  });
  role.onChange(() => {
    selectionChanged();
    render();
  });
  live?.on('comments', (change) => {
    if (change.docId === docId) void refresh(change.threadId);
  });
  // After /live reconnects, changes made meanwhile were not pushed: read everything again.
  let greeted = false;
  live?.on('hello', () => {
    if (greeted) void reload();
    greeted = true;
  });
  // A mention notification leads to /d/<id>#comment-<threadId>: that thread is shown once loaded.
  void reload().then(() => {
    const linked = /^#comment-(\d+)$/.exec(location.hash);
    if (linked !== null && threads.has(Number(linked[1]))) select(Number(linked[1]), true);
  });

  return {
    rangesChanged(next) {
      const before = ordered().map((t) => `${t.id}:${orphaned(t)}`).join();
      ranges = next;
      if (ordered().map((t) => `${t.id}:${orphaned(t)}`).join() !== before) render();
    },
    selectionChanged,
    select: (threadId) => select(threadId, false),
    startThread,
    reload,
  };
}
