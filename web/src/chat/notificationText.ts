import { ROLE_LABELS } from '../../../shared/accounts.js';
import type { Notification } from '../../../shared/api.js';

/** What a notification says and where it leads. */
export interface NotificationView {
  text: string;
  href: string;
}

/**
 * "Ann shared “Plan” with you (Can edit)" → the document; "Ann mentioned you in “Plan”: …" → the
 * document's chat (/d/<id>#chat) or the conversation (/chats/<id>). An untitled document is "Untitled".
 */
export function describeNotification(n: Notification): NotificationView {
  const who = n.actor?.name ?? 'Someone';
  if (n.kind === 'share') {
    const title = n.docTitle.trim() === '' ? 'Untitled' : n.docTitle.trim();
    return {
      text: `${who} shared “${title}” with you (${ROLE_LABELS[n.role] ?? n.role})`,
      href: `/d/${encodeURIComponent(n.docId)}`,
    };
  }
  if (n.kind === 'commentMention') {
    const title = n.docTitle.trim() === '' ? 'Untitled' : n.docTitle.trim();
    const excerpt = n.excerpt.trim();
    return {
      text: `${who} mentioned you in a comment on “${title}”${excerpt === '' ? '' : `: ${excerpt}`}`,
      href: `/d/${encodeURIComponent(n.docId)}#comment-${n.threadId}`,
    };
  }
  const where = n.conversationTitle.trim() === '' ? 'a chat' : `“${n.conversationTitle.trim()}”`;
  const excerpt = n.excerpt.trim();
  return {
    text: `${who} mentioned you in ${where}${excerpt === '' ? '' : `: ${excerpt}`}`,
    href: n.docId !== undefined ? `/d/${encodeURIComponent(n.docId)}#chat` : `/chats/${encodeURIComponent(n.conversationId)}`,
  };
}
