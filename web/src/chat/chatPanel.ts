import { MAX_CHAT_MESSAGE_CHARS } from '../../../shared/accounts.js';
import type { ChatMessage, PublicUser } from '../../../shared/api.js';
import { getMessages, markConversationRead, postMessage } from '../api/chatApi.js';
import { button, el, timeElement } from '../ui/dom.js';
import { LiveSendError, type LiveClient } from '../live/liveClient.js';
import { splitMentions } from './mentions.js';
import { relativeTime } from '../ui/time.js';

/** Messages fetched per page of history. */
const PAGE_SIZE = 50;
/** Within this many pixels of the bottom, a new message keeps the view scrolled to the bottom. */
const STICK_TO_BOTTOM_PX = 48;

export interface ChatViewOptions {
  conversationId: string;
  me: PublicUser;
  live: LiveClient | null;
  /** Whether the messages are on screen (the panel is open and the tab visible). */
  isShown: () => boolean;
  /** Messages from others that arrived unseen (at start: `initialUnread`). */
  onUnread?: (count: number) => void;
  initialUnread?: number;
  /** Placeholder of the message box. */
  placeholder?: string;
}

interface PendingMessage {
  item: HTMLLIElement;
  text: string;
  startedAt: number;
  /** Sent, but the answer was lost (timeout, connection closed): it may be stored. */
  uncertain: boolean;
}

/**
 * One conversation's messages and composer, used by the document's chat panel and the chats page:
 * `#chat-messages` (a log: `li[data-message-id]` with author, time and text, `@mentions` of me
 * highlighted), "Load earlier" (`#chat-load-earlier`, also on scrolling to the top), and
 * `#chat-form` with `#chat-input`. History is loaded when first shown. A message I send shows
 * "sending…" (`li[data-pending]`) until the server says it is stored (over /live, or by REST when
 * /live is down), then the stored message (its server time and id) takes its place; a refusal
 * shows the server's reason with Retry and Discard. After /live reconnects, the newest page is
 * fetched again so nothing said meanwhile is missed.
 */
export class ChatView {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly state: HTMLElement;
  private readonly earlier: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly messages = new Map<number, ChatMessage>();
  private readonly pending = new Set<PendingMessage>();
  private loaded = false;
  private loading: Promise<void> | null = null;
  private hasMore = false;
  private loadingEarlier = false;
  private unread: number;
  private lastMarked = 0;
  private closedReason: string | null = null;

  constructor(private readonly options: ChatViewOptions) {
    this.unread = options.initialUnread ?? 0;
    this.earlier = button('Load earlier messages', () => void this.loadEarlier(), { id: 'chat-load-earlier', className: 'load-earlier', hidden: true });
    this.list = el('ol', { id: 'chat-messages', className: 'chat-messages', attrs: { role: 'log', 'aria-label': 'Messages', tabindex: '0' } });
    this.state = el('p', { id: 'chat-state', className: 'muted chat-state', attrs: { role: 'status' } });
    this.input = el('textarea', { id: 'chat-input', className: 'chat-input', attrs: { rows: '2', maxlength: String(MAX_CHAT_MESSAGE_CHARS), placeholder: options.placeholder ?? 'Write a message… (@name to mention)' } });
    this.sendButton = el('button', { id: 'chat-send', className: 'primary', text: 'Send', attrs: { type: 'submit' } });
    this.error = el('p', { id: 'chat-error', className: 'error', attrs: { role: 'alert' }, hidden: true });
    this.form = el(
      'form',
      { id: 'chat-form', className: 'chat-form' },
      el('label', { className: 'visually-hidden', text: 'Message', attrs: { for: 'chat-input' } }),
      this.input,
      this.sendButton,
      this.error,
    );
    this.element = el('div', { className: 'chat-view', dataset: { conversationId: options.conversationId } }, this.earlier, this.list, this.state, this.form);

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => {
      this.error.hidden = true;
    });
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop < 24 && this.hasMore && this.loaded) void this.loadEarlier();
    });
    const live = options.live;
    if (live !== null) {
      live.on('message', (message) => {
        if (message.conversationId === this.options.conversationId) this.receive(message);
      });
      live.on('hello', () => {
        if (this.loaded) void this.refreshNewest();
      });
      live.on('conversationGone', (id) => {
        if (id === this.options.conversationId) this.close('You are no longer in this conversation.');
      });
    }
    document.addEventListener('visibilitychange', () => this.shownChanged());
    this.publishUnread();
  }

  /** Call when the view becomes visible (or stops being): loads history the first time, marks read. */
  shownChanged(): void {
    if (!this.options.isShown()) return;
    if (!this.loaded) void this.load();
    this.unread = 0;
    this.publishUnread();
    this.markRead();
  }

  /** The server's unread count arrived: unread is at least that (messages seen live may be among them). */
  raiseUnread(count: number): void {
    if (this.options.isShown() || count <= this.unread) return;
    this.unread = count;
    this.publishUnread();
  }

  /** Moves the keyboard focus to the message box. */
  focusInput(): void {
    this.input.focus();
  }

  /** Stops the conversation here (access taken away): the history stays, the composer goes. */
  close(reason: string): void {
    this.closedReason = reason;
    this.form.hidden = true;
    this.state.hidden = false;
    this.state.classList.add('error');
    this.state.textContent = reason;
  }

  private publishUnread(): void {
    this.options.onUnread?.(this.unread);
  }

  /** The newest page of history. */
  load(): Promise<void> {
    if (this.loading !== null) return this.loading;
    this.state.hidden = false;
    this.state.classList.remove('error');
    this.state.textContent = 'Loading messages…';
    this.loading = (async () => {
      try {
        const page = await getMessages(this.options.conversationId, undefined, PAGE_SIZE);
        this.hasMore = page.hasMore;
        for (const message of page.messages) this.insert(message);
        this.loaded = true;
        this.renderState();
        this.scrollToBottom();
        this.markRead();
      } catch (err) {
        this.state.classList.add('error');
        this.state.textContent = `Could not load messages: ${(err as Error).message}`;
        const retry = button('Try again', () => void this.load());
        this.state.append(' ', retry);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  private async loadEarlier(): Promise<void> {
    if (this.loadingEarlier || !this.hasMore) return;
    const oldest = Math.min(...this.messages.keys());
    if (!Number.isFinite(oldest)) return;
    this.loadingEarlier = true;
    this.earlier.disabled = true;
    this.earlier.textContent = 'Loading…';
    const before = this.list.scrollHeight - this.list.scrollTop;
    try {
      const page = await getMessages(this.options.conversationId, oldest, PAGE_SIZE);
      this.hasMore = page.hasMore;
      for (const message of page.messages) this.insert(message);
      // Keep the message that was on screen where it was.
      this.list.scrollTop = this.list.scrollHeight - before;
    } catch (err) {
      this.state.hidden = false;
      this.state.classList.add('error');
      this.state.textContent = `Could not load earlier messages: ${(err as Error).message}`;
    } finally {
      this.loadingEarlier = false;
      this.earlier.disabled = false;
      this.earlier.textContent = 'Load earlier messages';
      this.renderState();
    }
  }

  /** After a reconnect: whatever was said meanwhile (and whether an unconfirmed message of mine got stored). */
  private async refreshNewest(): Promise<void> {
    try {
      const page = await getMessages(this.options.conversationId, undefined, PAGE_SIZE);
      for (const message of page.messages) this.receive(message);
    } catch {
      // The next reconnect or reload tries again; live messages keep coming meanwhile.
    }
  }

  private renderState(): void {
    this.earlier.hidden = !this.hasMore;
    if (this.closedReason !== null) return;
    this.state.classList.remove('error');
    const empty = this.messages.size === 0 && this.pending.size === 0;
    this.state.textContent = empty ? 'No messages yet. Say hello!' : '';
    this.state.hidden = !empty;
  }

  /** A stored message from the server (history, live, or the answer to my send). */
  private receive(message: ChatMessage): void {
    if (this.messages.has(message.id)) return;
    const stick = this.isNearBottom();
    this.insert(message);
    this.dropConfirmedUncertain(message);
    this.renderState();
    if (stick || message.author.id === this.options.me.id) this.scrollToBottom();
    if (message.author.id === this.options.me.id) return;
    if (this.options.isShown()) this.markRead();
    else {
      this.unread += 1;
      this.publishUnread();
    }
  }

  private insert(message: ChatMessage): void {
    if (this.messages.has(message.id)) return;
    this.messages.set(message.id, message);
    const item = this.renderMessage(message);
    let before: Element | null = null;
    for (const child of this.list.children) {
      const id = (child as HTMLElement).dataset['messageId'];
      if (id === undefined || Number(id) > message.id) {
        before = child;
        break;
      }
    }
    this.list.insertBefore(item, before);
  }

  private renderMessage(message: ChatMessage): HTMLLIElement {
    const mine = message.author.id === this.options.me.id;
    const item = el('li', { className: 'chat-message', dataset: { messageId: String(message.id), authorId: message.author.id } });
    if (mine) item.dataset['mine'] = 'true';
    const text = el('div', { className: 'chat-text' });
    for (const part of splitMentions(message.text, this.options.me.name)) {
      if (part.mention === undefined) text.append(part.text);
      else text.append(el('span', { className: part.me ? 'mention mention-me' : 'mention', text: part.text }));
      if (part.me) item.dataset['mentionsMe'] = 'true';
    }
    item.append(
      el('div', { className: 'chat-meta' }, el('span', { className: 'chat-author', text: mine ? `${message.author.name} (you)` : message.author.name }), ' ', timeElement(message.createdAt, relativeTime(message.createdAt))),
      text,
    );
    return item;
  }

  private submit(): void {
    if (this.closedReason !== null) return;
    const text = this.input.value;
    if (text.trim() === '') return;
    if ([...text].length > MAX_CHAT_MESSAGE_CHARS) {
      this.error.textContent = `Messages may have at most ${MAX_CHAT_MESSAGE_CHARS} characters.`;
      this.error.hidden = false;
      return;
    }
    this.input.value = '';
    this.error.hidden = true;
    const item = el('li', { className: 'chat-message', dataset: { pending: 'true', mine: 'true' } });
    const pending: PendingMessage = { item, text, startedAt: Date.now(), uncertain: false };
    this.pending.add(pending);
    this.renderPending(pending, null);
    this.list.append(item);
    this.renderState();
    this.scrollToBottom();
    void this.deliver(pending);
  }

  private renderPending(pending: PendingMessage, status: HTMLElement | null): void {
    const { item } = pending;
    item.replaceChildren(
      el('div', { className: 'chat-meta' }, el('span', { className: 'chat-author', text: `${this.options.me.name} (you)` }), ' ', status ?? el('span', { className: 'chat-sending', text: 'sending…' })),
      el('div', { className: 'chat-text', text: pending.text }),
    );
  }

  private async deliver(pending: PendingMessage): Promise<void> {
    pending.uncertain = false;
    delete pending.item.dataset['failed'];
    pending.item.dataset['pending'] = 'true';
    this.renderPending(pending, null);
    let stored: ChatMessage;
    try {
      stored = await this.post(pending.text);
    } catch (err) {
      const code = err instanceof LiveSendError ? err.code : '';
      pending.uncertain = code === 'timeout' || code === 'closed';
      const reason = pending.uncertain
        ? 'Not confirmed: the connection dropped before the server answered. It may have been sent.'
        : `Not sent: ${(err as Error).message}`;
      this.failPending(pending, reason);
      return;
    }
    this.pending.delete(pending);
    pending.item.remove();
    this.receive(stored);
  }

  /** Over /live when it is up (the server answers on it), else by REST. */
  private async post(text: string): Promise<ChatMessage> {
    const live = this.options.live;
    if (live !== null && live.isOpen) {
      try {
        return await live.send(this.options.conversationId, text);
      } catch (err) {
        if (!(err instanceof LiveSendError) || err.code !== 'not_connected') throw err;
      }
    }
    return postMessage(this.options.conversationId, text);
  }

  private failPending(pending: PendingMessage, reason: string): void {
    pending.item.dataset['failed'] = 'true';
    delete pending.item.dataset['pending'];
    const status = el(
      'span',
      { className: 'chat-failed' },
      el('span', { className: 'error', text: reason }),
      ' ',
      button('Retry', () => void this.deliver(pending), { className: 'link-button' }),
      ' ',
      button('Discard', () => {
        this.pending.delete(pending);
        pending.item.remove();
        this.renderState();
      }, { className: 'link-button' }),
    );
    this.renderPending(pending, status);
  }

  /** An unconfirmed message of mine turned out stored (seen in history or live): it is no longer in doubt. */
  private dropConfirmedUncertain(message: ChatMessage): void {
    if (message.author.id !== this.options.me.id) return;
    for (const pending of this.pending) {
      if (pending.uncertain && pending.text === message.text) {
        this.pending.delete(pending);
        pending.item.remove();
        return;
      }
    }
  }

  private markRead(): void {
    if (!this.options.isShown() || this.messages.size === 0) return;
    const newest = Math.max(...this.messages.keys());
    if (newest <= this.lastMarked) return;
    this.lastMarked = newest;
    const live = this.options.live;
    if (live !== null && live.markRead(this.options.conversationId, newest)) return;
    void markConversationRead(this.options.conversationId, newest).catch(() => {
      this.lastMarked = 0;
    });
  }

  private isNearBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < STICK_TO_BOTTOM_PX;
  }

  private scrollToBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
