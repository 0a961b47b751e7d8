import type { PublicUser } from '../../shared/api.js';
import { isValidDocId } from '../../shared/docId.js';
import { renderConversations } from './pages/chatsPage.js';
import { openDocumentPage } from './document/docPage.js';
import { el } from './ui/dom.js';
import { renderHome } from './pages/homePage.js';
import { startLive } from './live/pageLive.js';
import type { LiveClient } from './live/liveClient.js';
import { signInHref } from './ui/nextParam.js';
import { renderPeople } from './pages/peoplePage.js';
import { loadSession, type Session } from './api/accountApi.js';
import { renderSessions } from './pages/sessionsPage.js';
import { renderSignIn } from './pages/signInPage.js';
import { renderTopbar } from './ui/topbar.js';

/**
 * Router of the single-page app, by `location.pathname`, once the page knows who is signed in:
 *   /                    → home (my documents; a welcome when signed out)
 *   /signin, /register   → sign in, create an account
 *   /d/<id>              → the editor, when <id> is a valid document id (visitors too)
 *   /people, /chats, /chats/<id>, /sessions → signed in only (otherwise: to /signin, then back)
 *   anything else        → "page not found"
 * Navigation between pages is ordinary full-page loads (plain links). A signed-in page keeps one
 * /live connection (live/pageLive.ts).
 */
async function route(root: HTMLElement): Promise<void> {
  const path = location.pathname;
  const session = await loadSession();
  const authPage = path === '/signin' || path === '/register';
  const live = session.user !== null && !authPage ? startLive() : null;
  if (path === '/' || path === '/index.html') return renderHome(root, session, live);
  if (authPage) return renderSignIn(root, session, path === '/signin' ? 'signin' : 'register');
  const doc = /^\/d\/([^/]*)\/?$/.exec(path);
  if (doc !== null) {
    const id = safeDecode(doc[1] ?? '');
    if (id !== null && isValidDocId(id)) return openDocumentPage(root, id, session, live);
    return renderProblem(
      root,
      session,
      live,
      'Not a document address',
      'Document addresses end in 1 to 64 letters, digits, "-" or "_". Check the link you followed.',
    );
  }
  const signedIn = (render: (user: Session & { user: PublicUser }) => void): void => {
    if (session.user === null) {
      location.replace(signInHref(path + location.search + location.hash));
      return;
    }
    render(session as Session & { user: PublicUser });
  };
  if (path === '/people') return signedIn((s) => renderPeople(root, s, live));
  if (path === '/sessions') return signedIn((s) => renderSessions(root, s, live));
  if (path === '/chats' || path === '/chats/') return signedIn((s) => renderConversations(root, s, live, null));
  const chat = /^\/chats\/([^/]+)\/?$/.exec(path);
  if (chat !== null) {
    const id = safeDecode(chat[1] ?? '');
    if (id !== null) return signedIn((s) => renderConversations(root, s, live, id));
  }
  renderProblem(root, session, live, 'Page not found', 'There is nothing at this address.');
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function renderProblem(root: HTMLElement, session: Session, live: LiveClient | null, heading: string, text: string): void {
  document.title = `${heading} — Tandem`;
  root.replaceChildren(
    renderTopbar(session, live),
    el('main', { className: 'problem', id: 'problem' }, el('h1', { text: heading }), el('p', { text }), el('p', {}, el('a', { text: 'Go to all documents', attrs: { href: '/' } }))),
  );
}

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
void route(root).catch((err: unknown) => {
  console.error(err);
  root.textContent = `Tandem could not start: ${(err as Error).message}`;
});

// Keeps the app loadable while the server is unreachable (web/public/sw.js); optional everywhere.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((err: unknown) => console.warn('offline app cache unavailable', err));
}
