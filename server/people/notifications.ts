import type { NotificationBody } from '../../shared/api.js';
import { MAX_GROUP_TITLE_CHARS } from '../../shared/accounts.js';
import { cleanTitle, clipText, MAX_EXCERPT_CHARS, stripBidiControls } from '../../shared/text.js';
import type { AccountStore } from '../accounts/accountStore.js';
import type { PeopleEvents } from './peopleEvents.js';

/**
 * A notification's body within the limits of shared/text.ts, whatever its parts held: a document
 * title at most MAX_TITLE_CHARS, a conversation's at most MAX_GROUP_TITLE_CHARS characters (or a
 * document's), an excerpt at most MAX_EXCERPT_CHARS characters, none with bidirectional controls. Applied
 * when one is stored and again when one is read (rows stored before the limits).
 */
export function boundedNotificationBody(body: NotificationBody): NotificationBody {
  if (body.kind === 'share') return { ...body, docTitle: cleanTitle(body.docTitle) };
  if (body.kind === 'commentMention') {
    return { ...body, docTitle: cleanTitle(body.docTitle), excerpt: clipText(stripBidiControls(body.excerpt), 2 * MAX_EXCERPT_CHARS) };
  }
  // Group names and excerpts are counted in characters (code points): at most two UTF-16 units each.
  const conversationTitle = body.docId === undefined ? clipText(stripBidiControls(body.conversationTitle), 2 * MAX_GROUP_TITLE_CHARS) : cleanTitle(body.conversationTitle);
  return { ...body, conversationTitle, excerpt: clipText(stripBidiControls(body.excerpt), 2 * MAX_EXCERPT_CHARS) };
}

/** Notifications: stored first (so they are there when the person comes back), then announced live. */
export class Notifications {
  constructor(
    private readonly accounts: AccountStore,
    private readonly events: PeopleEvents,
  ) {}

  async notify(userId: string, actorId: string, body: NotificationBody): Promise<void> {
    const notification = await this.accounts.addNotification({ userId, actorId, body: boundedNotificationBody(body), createdAt: Date.now() });
    this.events.announce('notified', notification);
  }
}
