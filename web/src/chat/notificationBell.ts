import type { Notification } from '../../../shared/api.js';
import { listNotifications, markNotificationsRead } from '../api/chatApi.js';
import { el, setBadge, timeElement } from '../ui/dom.js';
import type { LiveClient } from '../live/liveClient.js';
import { describeNotification } from './notificationText.js';
import { relativeTime } from '../ui/time.js';

export interface NotificationElements {
  /** `#notifications-button`, the bell. */
  button: HTMLButtonElement;
  /** `#notifications-count`, the unread badge. */
  count: HTMLElement;
  /** `#notifications-panel`, the list (hidden until the bell is pressed). */
  panel: HTMLElement;
}

/**
 * The notifications bell: the unread count from GET /api/notifications (and /live's hello), raised
 * live by 'notification' messages. Opening the panel lists them, newest first, each linking to
 * what it is about, and marks the unread ones read (POST /api/notifications/read with their ids,
 * so one arriving meanwhile stays unread). Escape or a click elsewhere closes it.
 */
export function bindNotifications(els: NotificationElements, live: LiveClient): void {
  let items: Notification[] = [];
  let unread = 0;
  let loaded = false;
  let loadError: string | null = null;
  /** Marked read while the panel is open: still shown as new until it closes. */
  const fresh = new Set<number>();
  const list = el('ul', { id: 'notifications-list', className: 'notifications-list' });
  const state = el('p', { className: 'muted', attrs: { role: 'status' } });
  els.panel.replaceChildren(el('h2', { text: 'Notifications' }), state, list);

  const render = (): void => {
    setBadge(els.count, unread);
    els.button.setAttribute('aria-label', unread > 0 ? `Notifications, ${unread} unread` : 'Notifications');
    if (els.panel.hidden) return;
    list.replaceChildren(...items.map((n) => renderItem(n, fresh.has(n.id))));
    state.classList.toggle('error', loadError !== null);
    state.textContent = loadError ?? (!loaded ? 'Loading…' : items.length === 0 ? 'Nothing yet. Shares and @mentions will show up here.' : '');
    state.hidden = state.textContent === '';
  };

  const load = async (): Promise<void> => {
    try {
      const body = await listNotifications();
      items = body.notifications;
      unread = body.unread;
      loaded = true;
      loadError = null;
    } catch (err) {
      loadError = `Could not load notifications: ${(err as Error).message}`;
    }
    render();
  };

  const markShownRead = async (): Promise<void> => {
    const ids = items.filter((n) => n.readAt === null).map((n) => n.id);
    if (ids.length === 0) return;
    for (const id of ids) fresh.add(id);
    try {
      await markNotificationsRead(ids);
      const now = Date.now();
      items = items.map((n) => (ids.includes(n.id) ? { ...n, readAt: now } : n));
      unread = Math.max(0, unread - ids.length);
    } catch (err) {
      loadError = `Could not mark notifications read: ${(err as Error).message}`;
    }
    render();
  };

  const close = (): void => {
    if (els.panel.hidden) return;
    els.panel.hidden = true;
    els.button.setAttribute('aria-expanded', 'false');
    // What was shown is now read: drop the "new" marks.
    fresh.clear();
    render();
  };
  const open = async (): Promise<void> => {
    els.panel.hidden = false;
    els.button.setAttribute('aria-expanded', 'true');
    render();
    if (!loaded) await load();
    await markShownRead();
  };

  els.button.addEventListener('click', () => {
    if (els.panel.hidden) void open();
    else close();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !els.panel.hidden) {
      close();
      els.button.focus();
    }
  });
  document.addEventListener('click', (event) => {
    const target = event.target as Node | null;
    if (target !== null && !els.panel.contains(target) && !els.button.contains(target)) close();
  });

  live.on('notification', (notification) => {
    if (items.some((n) => n.id === notification.id)) return;
    items = [notification, ...items].slice(0, 100);
    if (notification.readAt === null) unread += 1;
    render();
    if (!els.panel.hidden) void markShownRead();
  });
  live.on('hello', (hello) => {
    // A reconnect may have missed some: the server's count is the truth; reload the list lazily.
    if (typeof hello.unreadNotifications === 'number' && hello.unreadNotifications !== unread) {
      unread = hello.unreadNotifications;
      loaded = false;
      if (!els.panel.hidden) void load();
    }
    render();
  });
  void load();
}

function renderItem(n: Notification, fresh: boolean): HTMLLIElement {
  const view = describeNotification(n);
  const item = el('li', { dataset: { notificationId: String(n.id), kind: n.kind } });
  if (n.readAt === null || fresh) item.dataset['unread'] = 'true';
  item.append(el('a', { text: view.text, attrs: { href: view.href } }), timeElement(n.createdAt, relativeTime(n.createdAt)));
  return item;
}
