import type { DocDetails } from '../../../shared/api.js';
import { getDocument } from '../api/docsApi.js';
import { rememberedRole, rememberRole } from './docRole.js';
import { el } from '../ui/dom.js';
import { renderEditor } from './editor.js';
import type { LiveClient } from '../live/liveClient.js';
import { signInHref } from '../ui/nextParam.js';
import type { Session } from '../api/accountApi.js';
import { renderTopbar } from '../ui/topbar.js';

/**
 * Opens `/d/<docId>`: asks the server first what I may do (GET /api/docs/:id) and then shows the
 * editor, or the refusal: 401 "Sign in to open this document" (a visitor where the link does not
 * admit visitors), 404 "No access or no such document", 410 "This document was deleted". When the
 * server cannot be reached the editor opens anyway from this browser's offline copy, with the role
 * last seen here (the server checks again on connecting).
 */
export async function openDocumentPage(root: HTMLElement, docId: string, session: Session, live: LiveClient | null): Promise<void> {
  root.replaceChildren(renderTopbar(session, live), el('main', { className: 'problem', text: 'Opening…', attrs: { role: 'status' } }));
  let details: DocDetails | null = null;
  try {
    details = await getDocument(docId);
    rememberRole(docId, details.myRole);
  } catch (err) {
    const status = (err as { status?: number }).status ?? 0;
    if (status !== 0) return renderRefusal(root, session, live, status, (err as Error).message);
  }
  renderEditor(root, docId, { session, live, details, role: details?.myRole ?? rememberedRole(docId) ?? 'editor' });
}

function renderRefusal(root: HTMLElement, session: Session, live: LiveClient | null, status: number, message: string): void {
  const main = el('main', { className: 'problem', id: 'problem', dataset: { status: String(status) } });
  const here = location.pathname + location.search;
  let heading: string;
  let text: string;
  const actions = el('p', { className: 'problem-actions' });
  if (status === 401) {
    heading = 'Sign in to open this document';
    text = 'Only signed-in people the owner shared it with can open it.';
    actions.append(el('a', { id: 'problem-signin', className: 'button-link', text: 'Sign in', attrs: { href: signInHref(here) } }), ' ', el('a', { text: 'Create an account', attrs: { href: signInHref(here, '/register') } }));
  } else if (status === 404) {
    heading = 'No access or no such document';
    text = session.user === null
      ? 'There is no document at this address, or it is not open to visitors. Sign in if it was shared with you.'
      : 'There is no document at this address, or it has not been shared with you. Ask its owner to share it with you.';
    if (session.user === null) actions.append(el('a', { className: 'button-link', text: 'Sign in', attrs: { href: signInHref(here) } }), ' ');
    actions.append(el('a', { text: 'Go to your documents', attrs: { href: '/' } }));
  } else if (status === 410) {
    heading = 'This document was deleted';
    text = 'Its owner deleted it; it cannot be opened any more.';
    actions.append(el('a', { text: 'Go to your documents', attrs: { href: '/' } }));
  } else {
    heading = 'Could not open this document';
    text = message;
    actions.append(el('a', { text: 'Try again', attrs: { href: here } }));
  }
  document.title = `${heading} — Tandem`;
  main.append(el('h1', { text: heading }), el('p', { text }), actions);
  root.replaceChildren(renderTopbar(session, live), main);
}
