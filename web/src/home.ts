import type { DocSummary } from '../../shared/api.js';
import { MAX_LISTED_TITLE_CHARS } from '../../shared/schema.js';
import { createDocument, listDocuments } from './api.js';
import { relativeTime } from './time.js';

/**
 * The home page: the document list (`#doc-list`, items with `data-doc-id`, newest-edited first;
 * its `data-state` is loading, loaded, empty or error) and a "New document" button (`#new-doc`) that creates one and opens it.
 */
export function renderHome(root: HTMLElement): void {
  document.title = 'Tandem';
  root.innerHTML = `
    <header class="topbar"><a class="brand" href="/">Tandem</a></header>
    <main class="home">
      <div class="home-head">
        <h1>Documents</h1>
        <button type="button" id="new-doc" class="primary">New document</button>
      </div>
      <p id="new-doc-error" class="error" role="alert" hidden></p>
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

  void loadList(list, listState);
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
