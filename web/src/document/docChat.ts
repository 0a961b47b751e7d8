import { docConversationId, type PublicUser } from '../../../shared/api.js';
import { ChatView } from '../chat/chatPanel.js';
import { getConversation } from '../api/chatApi.js';
import { el, setBadge } from '../ui/dom.js';
import type { DocRole } from './docRole.js';
import type { LiveClient } from '../live/liveClient.js';
import { signInHref } from '../ui/nextParam.js';

export interface DocChatElements {
  /** `#chat-toggle`. */
  toggle: HTMLButtonElement;
  /** `#chat-unread`, inside the toggle. */
  unread: HTMLElement;
  /** A polite live region that announces new unread messages. */
  announce: HTMLElement;
  /** `#chat-panel`. */
  panel: HTMLElement;
  /** Where the messages go inside the panel. */
  body: HTMLElement;
  /** Called after the panel opens or closes (layout). */
  onToggle?: (open: boolean) => void;
}

/**
 * The document's chat panel. Signed-in people with access get the conversation `doc:<docId>`
 * (ChatView); the unread badge starts from the server's count (GET /api/conversations/doc:<id>)
 * and counts messages from others that arrive while the panel is closed. Visitors are asked to sign
 * in. The panel opens by itself when the address ends in #chat (a mention notification's link).
 */
export function bindDocChat(els: DocChatElements, docId: string, me: PublicUser | null, live: LiveClient | null, role: DocRole): void {
  let open = false;
  let view: ChatView | null = null;
  const setOpen = (next: boolean): void => {
    open = next;
    els.panel.hidden = !open;
    els.toggle.setAttribute('aria-expanded', String(open));
    els.onToggle?.(open);
    if (open) {
      view?.shownChanged();
      view?.focusInput();
    }
  };
  els.toggle.addEventListener('click', () => setOpen(!open));

  if (me === null) {
    els.body.replaceChildren(
      el('p', { className: 'muted' }, 'Sign in to chat with the people in this document. ', el('a', { text: 'Sign in', attrs: { href: signInHref(location.pathname) } })),
    );
  } else {
    let lastAnnounced = 0;
    view = new ChatView({
      conversationId: docConversationId(docId),
      me,
      live,
      isShown: () => open && document.visibilityState === 'visible',
      onUnread: (count) => {
        setBadge(els.unread, count, 'unread messages');
        els.toggle.setAttribute('aria-label', count > 0 ? `Chat, ${count} unread` : 'Chat');
        if (count > lastAnnounced) els.announce.textContent = `${count} unread chat message${count === 1 ? '' : 's'}`;
        lastAnnounced = count;
      },
    });
    els.body.replaceChildren(view.element);
    const chat = view;
    // The server's unread count, unless the panel was opened first.
    void getConversation(docConversationId(docId)).then(
      (conversation) => {
        chat.raiseUnread(conversation.unread);
      },
      () => {
        // No conversation yet (or no access): nothing unread.
      },
    );
    role.onChange(() => {
      if (role.lost !== null) chat.close('The chat is closed: you no longer have access to this document.');
    });
  }
  if (location.hash === '#chat') setOpen(true);
}
