import { button, el } from './dom.js';
import type { LiveClient, LiveState } from '../live/liveClient.js';
import { signInHref } from './nextParam.js';
import { bindNotifications } from '../chat/notificationBell.js';
import type { Session } from '../api/accountApi.js';
import { signOut } from '../api/accountApi.js';

/**
 * The bar at the top of every page: the brand; when signed in, links to People, Chats and
 * Sessions, the live connection's state (only when it is not working), the notifications bell,
 * the user's name and Sign out; when signed out, Sign in and Create account (both come back here).
 * `extra` (e.g. nothing, or page controls) goes after the brand.
 */
export function renderTopbar(session: Session, live: LiveClient | null, ...extra: HTMLElement[]): HTMLElement {
  const header = el('header', { className: 'topbar site-bar' }, el('a', { className: 'brand', text: 'Tandem', attrs: { href: '/', title: 'Your documents' } }), ...extra);
  const here = location.pathname;
  const user = session.user;
  if (user === null) {
    header.append(
      el(
        'div',
        { className: 'account' },
        el('a', { id: 'sign-in-link', text: 'Sign in', attrs: { href: signInHref(here + location.search + location.hash) } }),
        el('a', { id: 'register-link', className: 'button-link', text: 'Create account', attrs: { href: signInHref(here + location.search + location.hash, '/register') } }),
      ),
    );
    return header;
  }
  const nav = el('nav', { className: 'site-nav', attrs: { 'aria-label': 'Main' } });
  for (const [href, text] of [['/people', 'People'], ['/chats', 'Chats'], ['/sessions', 'Sessions']] as const) {
    const link = el('a', { text, attrs: { href } });
    if (here === href || here.startsWith(`${href}/`)) link.setAttribute('aria-current', 'page');
    nav.append(link);
  }
  const liveStatus = el('span', { id: 'live-status', className: 'live-status', attrs: { role: 'status', 'aria-live': 'polite' }, hidden: true });
  const count = el('span', { id: 'notifications-count', className: 'badge', hidden: true });
  const bell = el(
    'button',
    { id: 'notifications-button', className: 'bell', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'notifications-panel', title: 'Notifications' } },
    bellIcon(),
    el('span', { className: 'visually-hidden', text: 'Notifications' }),
    count,
  );
  const panel = el('div', { id: 'notifications-panel', className: 'notifications-panel', attrs: { role: 'region', 'aria-label': 'Notifications' }, hidden: true });
  const error = el('span', { id: 'account-error', className: 'error', attrs: { role: 'alert' }, hidden: true });
  const signOutButton = button('Sign out', async () => {
    signOutButton.disabled = true;
    error.hidden = true;
    try {
      await signOut();
      live?.close();
      location.assign('/');
    } catch (err) {
      error.textContent = `Could not sign out: ${(err as Error).message}`;
      error.hidden = false;
      signOutButton.disabled = false;
    }
  }, { id: 'sign-out' });
  header.append(
    nav,
    liveStatus,
    el(
      'div',
      { className: 'account' },
      el('div', { className: 'notifications' }, bell, panel),
      el('span', { id: 'user-name', className: 'user-name' }, el('span', { className: 'muted', text: 'Signed in as ' }), el('strong', { text: user.name })),
      signOutButton,
      error,
    ),
  );
  if (live !== null) {
    bindLiveStatus(liveStatus, live);
    // The server ended this session (signed out elsewhere, revoked): say so rather than "Signed in as".
    live.on('state', (state) => {
      if (state !== 'stopped' || live.lastCloseCode !== 4401) return;
      const userName = header.querySelector('#user-name');
      userName?.replaceChildren(el('span', { className: 'muted', text: 'Signed out' }));
      signOutButton.replaceWith(el('a', { id: 'sign-in-link', className: 'button-link', text: 'Sign in', attrs: { href: signInHref(here + location.search + location.hash) } }));
    });
    bindNotifications({ button: bell, count, panel }, live);
  }
  return header;
}

/** Shows the live connection's state when it is not working (nothing while all is well). */
function bindLiveStatus(status: HTMLElement, live: LiveClient): void {
  const render = (state: LiveState): void => {
    status.dataset['state'] = state;
    // 'stopped' without 4401 is this page closing the connection itself (leaving, signing out).
    if (state === 'open' || state === 'connecting' || (state === 'stopped' && live.lastCloseCode !== 4401)) {
      status.hidden = true;
      status.textContent = '';
      return;
    }
    status.hidden = false;
    if (state === 'reconnecting') {
      status.textContent = 'Live updates paused — reconnecting…';
      return;
    }
    status.textContent = 'Your session ended — live updates stopped.';
  };
  live.on('state', render);
  render(live.state);
}

/** A bell outline (an icon font or emoji may be missing; SVG always draws). */
function bellIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('bell-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M12 3a6 6 0 0 0-6 6v3.6L4.3 15.5A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Zm-2.2 15.5a2.3 2.3 0 0 0 4.4 0');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.8');
  path.setAttribute('stroke-linejoin', 'round');
  path.setAttribute('stroke-linecap', 'round');
  svg.append(path);
  return svg;
}
