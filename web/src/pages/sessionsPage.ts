import type { PublicUser, SessionSummary } from '../../../shared/api.js';
import { button, el, timeElement } from '../ui/dom.js';
import type { LiveClient } from '../live/liveClient.js';
import { listSessions, revokeSession, signOut, type Session } from '../api/accountApi.js';
import { relativeTime } from '../ui/time.js';
import { renderTopbar } from '../ui/topbar.js';

/**
 * The sessions page (`/sessions`, signed in): every browser signed in as me (`#session-list`,
 * `li[data-session-id]`, this one marked `data-current="true"`), each with "Sign out", which ends
 * that session on the server (its open pages are disconnected at once).
 */
export function renderSessions(root: HTMLElement, session: Session & { user: PublicUser }, live: LiveClient | null): void {
  document.title = 'Sessions — Tandem';
  root.replaceChildren(renderTopbar(session, live));
  const state = el('p', { id: 'session-state', className: 'muted', text: 'Loading sessions…', attrs: { role: 'status' } });
  const list = el('ul', { id: 'session-list', className: 'session-list', attrs: { 'aria-labelledby': 'sessions-heading' } });
  root.append(
    el(
      'main',
      { className: 'page sessions-page' },
      el('h1', { id: 'sessions-heading', text: 'Where you are signed in' }),
      el('p', { className: 'muted', text: 'Sign out of any browser you no longer use; its open pages stop at once.' }),
      state,
      list,
    ),
  );
  const load = async (): Promise<void> => {
    let sessions: SessionSummary[];
    try {
      sessions = await listSessions();
    } catch (err) {
      state.className = 'error';
      state.textContent = `Could not load your sessions: ${(err as Error).message}`;
      return;
    }
    sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt - a.lastUsedAt);
    list.replaceChildren(...sessions.map((s) => renderSession(s, load)));
    state.hidden = sessions.length > 0;
    state.textContent = sessions.length === 0 ? 'No sessions.' : '';
  };
  void load();
}

function renderSession(s: SessionSummary, reload: () => Promise<void>): HTMLLIElement {
  const item = el('li', { dataset: { sessionId: s.id, current: String(s.current) } });
  const error = el('span', { className: 'error', attrs: { role: 'alert' }, hidden: true });
  const out = button(s.current ? 'Sign out here' : 'Sign out', async () => {
    out.disabled = true;
    error.hidden = true;
    try {
      if (s.current) {
        await signOut();
        location.assign('/');
        return;
      }
      await revokeSession(s.id);
      await reload();
    } catch (err) {
      error.textContent = ` Could not sign out: ${(err as Error).message}`;
      error.hidden = false;
      out.disabled = false;
    }
  }, { className: 'revoke-session' });
  item.append(
    el(
      'div',
      { className: 'session-main' },
      el('span', { className: 'session-agent', text: describeAgent(s.userAgent) }),
      s.current ? el('span', { className: 'role-badge current-badge', text: 'This browser' }) : null,
    ),
    el(
      'div',
      { className: 'session-times muted' },
      'signed in ',
      timeElement(s.createdAt, relativeTime(s.createdAt)),
      ' · last used ',
      timeElement(s.lastUsedAt, relativeTime(s.lastUsedAt)),
    ),
    el('div', {}, out, error),
  );
  return item;
}

/** "Chrome on Linux" from a user agent string, or the string itself when unknown. */
export function describeAgent(agent: string): string {
  if (agent.trim() === '') return 'Unknown browser';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : null;
  const system = /Windows/.test(agent) ? 'Windows' : /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : null;
  if (browser === null) return agent.slice(0, 80);
  return system === null ? browser : `${browser} on ${system}`;
}
