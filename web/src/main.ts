import { isValidDocId } from '../../shared/docId.js';
import { renderEditor } from './editor.js';
import { renderHome } from './home.js';

/**
 * Router of the single-page app, by `location.pathname`:
 *   /          → home page (document list)
 *   /d/<id>    → editor page, when <id> is a valid document id; otherwise an explanation
 *   anything else → "page not found"
 * Navigation between pages is ordinary full-page loads (plain links).
 */
function route(root: HTMLElement): void {
  const path = location.pathname;
  if (path === '/' || path === '/index.html') return renderHome(root);
  const match = /^\/d\/([^/]*)\/?$/.exec(path);
  if (match !== null) {
    const id = safeDecode(match[1] ?? '');
    if (id !== null && isValidDocId(id)) return renderEditor(root, id);
    return renderProblem(
      root,
      'Not a document address',
      'Document addresses end in 1 to 64 letters, digits, "-" or "_". Check the link you followed.',
    );
  }
  renderProblem(root, 'Page not found', 'There is nothing at this address.');
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function renderProblem(root: HTMLElement, heading: string, text: string): void {
  document.title = `${heading} — Tandem`;
  root.innerHTML = `
    <header class="topbar"><a class="brand" href="/">Tandem</a></header>
    <main class="problem" id="problem">
      <h1></h1>
      <p></p>
      <p><a href="/">Go to all documents</a></p>
    </main>`;
  (root.querySelector('h1') as HTMLElement).textContent = heading;
  (root.querySelector('main p') as HTMLElement).textContent = text;
}

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
route(root);

// Keeps the app loadable while the server is unreachable (web/public/sw.js); optional everywhere.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((err: unknown) => console.warn('offline app cache unavailable', err));
}
