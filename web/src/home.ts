import { ROLE_LABELS } from '../../shared/accounts.js';
import type { MyDocSummary } from '../../shared/api.js';
import { cleanTitle } from '../../shared/text.js';
import { createDocument, importMarkdown, listDocuments } from './api.js';
import { el, timeElement } from './dom.js';
import type { LiveClient } from './liveClient.js';
import type { Session } from './session.js';
import { relativeTime } from './time.js';
import { renderTopbar } from './topbar.js';

/**
 * The home page. Signed in: "My documents" (`#my-docs`, mine as owner) and "Shared with me"
 * (`#shared-docs`), both inside `#doc-list` (items with `data-doc-id` and a role badge, newest-edited
 * first; `#doc-list`'s `data-state` is loading, loaded, empty or error), kept current live (a share,
 * a role change or a removal reloads the lists); "New document" (`#new-doc`) and "Import Markdown…"
 * (`#import-md`). Signed out: what Tandem is, and buttons to sign in or create an account.
 */
export function renderHome(root: HTMLElement, session: Session, live: LiveClient | null): void {
  document.title = 'Tandem';
  root.replaceChildren(renderTopbar(session, live));
  if (session.user === null) {
    root.append(renderWelcome());
    return;
  }
  const main = el('main', { className: 'home' });
  main.innerHTML = `
    <div class="home-head">
      <h1>Documents</h1>
      <div class="home-actions">
        <input type="file" id="import-md" class="file-input" accept=".md,.markdown,.txt,text/markdown,text/plain">
        <label for="import-md" class="button-like" id="import-md-label">Import Markdown…</label>
        <button type="button" id="new-doc" class="primary">New document</button>
      </div>
    </div>
    <p id="new-doc-error" class="error" role="alert" hidden></p>
    <p id="import-error" class="error" role="alert" hidden></p>
    <p id="doc-list-state" class="muted" role="status" aria-live="polite">Loading documents…</p>
    <div id="doc-list" class="doc-lists">
      <section aria-labelledby="my-docs-heading">
        <h2 id="my-docs-heading">My documents</h2>
        <ul id="my-docs" class="doc-list" aria-labelledby="my-docs-heading"></ul>
        <p id="my-docs-empty" class="muted empty" hidden>None yet. Create one with “New document”.</p>
      </section>
      <section aria-labelledby="shared-docs-heading">
        <h2 id="shared-docs-heading">Shared with me</h2>
        <ul id="shared-docs" class="doc-list" aria-labelledby="shared-docs-heading"></ul>
        <p id="shared-docs-empty" class="muted empty" hidden>Nothing yet. Documents others share with you appear here.</p>
      </section>
    </div>`;
  root.append(main);
  const newButton = main.querySelector('#new-doc') as HTMLButtonElement;
  const newError = main.querySelector('#new-doc-error') as HTMLElement;

  newButton.addEventListener('click', async () => {
    newButton.disabled = true;
    newButton.textContent = 'Creating…';
    newError.hidden = true;
    try {
      const doc = await createDocument();
      location.assign(`/d/${encodeURIComponent(doc.id)}`);
    } catch (err) {
      newError.textContent = `Could not create a document: ${(err as Error).message}`;
      newError.hidden = false;
      newButton.disabled = false;
      newButton.textContent = 'New document';
    }
  });

  bindImport(main.querySelector('#import-md') as HTMLInputElement, main.querySelector('#import-md-label') as HTMLElement, main.querySelector('#import-error') as HTMLElement);

  const lists = new DocLists(main);
  void lists.load();
  if (live !== null) {
    live.on('access', () => lists.reloadSoon());
    live.on('notification', (n) => {
      if (n.kind === 'share') lists.reloadSoon();
    });
    // After a reconnect something may have changed unseen.
    live.on('hello', () => lists.reloadSoon());
  }
}

function renderWelcome(): HTMLElement {
  const main = el('main', { className: 'home welcome' });
  main.innerHTML = `
    <h1>Write together, live</h1>
    <p>Tandem is a shared editor for people who work together: everyone in a document sees each
    other's changes and cursors as they type, and talks about the work in the document's chat.</p>
    <p>Sign in to see your documents and the ones shared with you. Someone sent you a link?
    Just open it — if its owner lets anyone with the link in, you can join as a guest.</p>
    <p class="welcome-actions">
      <a class="button-link primary-link" id="welcome-signin" href="/signin">Sign in</a>
      <a class="button-link" id="welcome-register" href="/register">Create account</a>
    </p>`;
  return main;
}

/** Reads the chosen file, imports it as a new document and opens that document. */
function bindImport(input: HTMLInputElement, label: HTMLElement, error: HTMLElement): void {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    error.hidden = true;
    input.disabled = true;
    label.textContent = 'Importing…';
    try {
      const doc = await importMarkdown(await file.text());
      location.assign(`/d/${encodeURIComponent(doc.id)}`);
    } catch (err) {
      error.textContent = `Could not import ${file.name}: ${(err as Error).message}`;
      error.hidden = false;
      input.disabled = false;
      input.value = '';
      label.textContent = 'Import Markdown…';
    }
  });
}

/** The two lists and their loading state. */
class DocLists {
  private readonly container: HTMLElement;
  private readonly state: HTMLElement;
  private readonly mine: HTMLUListElement;
  private readonly shared: HTMLUListElement;
  private loading: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private loadedOnce = false;

  constructor(root: HTMLElement) {
    this.container = root.querySelector('#doc-list') as HTMLElement;
    this.state = root.querySelector('#doc-list-state') as HTMLElement;
    this.mine = root.querySelector('#my-docs') as HTMLUListElement;
    this.shared = root.querySelector('#shared-docs') as HTMLUListElement;
  }

  /** Reloads shortly (several live events in a burst cost one request). */
  reloadSoon(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, 150);
  }

  async load(): Promise<void> {
    if (this.loading !== null) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.fetchAndRender();
    try {
      await this.loading;
    } finally {
      this.loading = null;
    }
    if (this.again) {
      this.again = false;
      await this.load();
    }
  }

  private async fetchAndRender(): Promise<void> {
    if (!this.loadedOnce) this.setState('loading');
    let documents: MyDocSummary[];
    try {
      documents = await listDocuments();
    } catch (err) {
      this.setState('error');
      this.state.hidden = false;
      this.state.classList.add('error');
      this.state.textContent = `Could not load documents: ${(err as Error).message}`;
      const retry = document.createElement('button');
      retry.type = 'button';
      retry.textContent = 'Try again';
      retry.addEventListener('click', () => {
        this.state.classList.remove('error');
        this.state.textContent = 'Loading documents…';
        void this.load();
      });
      this.state.append(' ', retry);
      return;
    }
    this.loadedOnce = true;
    const mine = documents.filter((doc) => doc.role === 'owner');
    const shared = documents.filter((doc) => doc.role !== 'owner');
    this.mine.replaceChildren(...mine.map(renderItem));
    this.shared.replaceChildren(...shared.map(renderItem));
    (this.container.querySelector('#my-docs-empty') as HTMLElement).hidden = mine.length > 0;
    (this.container.querySelector('#shared-docs-empty') as HTMLElement).hidden = shared.length > 0;
    this.state.classList.remove('error');
    this.setState(documents.length === 0 ? 'empty' : 'loaded');
    // Each list says when it is empty.
    this.state.textContent = '';
    this.state.hidden = true;
  }

  private setState(state: 'loading' | 'loaded' | 'empty' | 'error'): void {
    this.state.dataset['state'] = state;
    this.container.dataset['state'] = state;
  }
}

function renderItem(doc: MyDocSummary): HTMLLIElement {
  const item = el('li', { dataset: { docId: doc.id, role: doc.role } });
  const link = el('a', { attrs: { href: `/d/${encodeURIComponent(doc.id)}` } });
  const title = cleanTitle(doc.title).trim();
  link.textContent = title === '' ? 'Untitled' : title;
  if (title === '') link.classList.add('untitled');
  const role = el('span', { className: `role-badge role-${doc.role}`, text: ROLE_LABELS[doc.role] ?? doc.role });
  const edited = timeElement(doc.updatedAt, `edited ${relativeTime(doc.updatedAt)}`);
  item.append(el('span', { className: 'doc-main' }, link, role), edited);
  return item;
}
