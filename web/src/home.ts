import type { DocSummary } from '../../shared/api.js';
import { MAX_LISTED_TITLE_CHARS } from '../../shared/schema.js';
import { createDocument, importMarkdown, listDocuments } from './api.js';
import { relativeTime } from './time.js';

/**
 * The home page: the document list (`#doc-list`, items with `data-doc-id`, newest-edited first;
 * its `data-state` is loading, loaded, empty or error), a "New document" button (`#new-doc`) that
 * creates one and opens it, and "Import Markdown…" (`#import-md`, a file input) that creates a
 * document from a Markdown file and opens it (failures in `#import-error`).
 */
export function renderHome(root: HTMLElement): void {
  document.title = 'Tandem';
  root.innerHTML = `
    <header class="topbar"><a class="brand" href="/">Tandem</a></header>
    <main class="home">
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
      <ul id="doc-list" class="doc-list" aria-label="Documents"></ul>
    </main>`;
  const newButton = root.querySelector('#new-doc') as HTMLButtonElement;
  const newError = root.querySelector('#new-doc-error') as HTMLElement;
  const listState = root.querySelector('#doc-list-state') as HTMLElement;
  const list = root.querySelector('#doc-list') as HTMLUListElement;

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

  bindImport(root.querySelector('#import-md') as HTMLInputElement, root.querySelector('#import-md-label') as HTMLElement, root.querySelector('#import-error') as HTMLElement);

  void loadList(list, listState);
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

async function loadList(list: HTMLUListElement, state: HTMLElement): Promise<void> {
  state.dataset['state'] = 'loading';
  list.dataset['state'] = 'loading';
  let documents: DocSummary[];
  try {
    documents = await listDocuments();
  } catch (err) {
    state.dataset['state'] = 'error';
    list.dataset['state'] = 'error';
    state.classList.add('error');
    state.textContent = `Could not load documents: ${(err as Error).message}`;
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.textContent = 'Try again';
    retry.addEventListener('click', () => {
      state.classList.remove('error');
      state.textContent = 'Loading documents…';
      void loadList(list, state);
    });
    state.append(' ', retry);
    return;
  }
  list.replaceChildren(...documents.map(renderItem));
  state.dataset['state'] = documents.length === 0 ? 'empty' : 'loaded';
  list.dataset['state'] = state.dataset['state'];
  state.textContent = documents.length === 0 ? 'No documents yet. Create the first one.' : '';
  state.hidden = documents.length > 0;
}

function renderItem(doc: DocSummary): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset['docId'] = doc.id;
  const link = document.createElement('a');
  link.href = `/d/${encodeURIComponent(doc.id)}`;
  const title = doc.title.trim().slice(0, MAX_LISTED_TITLE_CHARS);
  link.textContent = title === '' ? 'Untitled' : title;
  if (title === '') link.classList.add('untitled');
  const edited = document.createElement('time');
  edited.dateTime = new Date(doc.updatedAt).toISOString();
  edited.title = new Date(doc.updatedAt).toLocaleString();
  edited.textContent = `edited ${relativeTime(doc.updatedAt)}`;
  item.append(link, edited);
  return item;
}
