import { PALETTE } from '../../../shared/colours.js';

export { colorFor } from '../../../shared/colours.js';

/**
 * Who this person is to others: a display name and a colour, asked once and kept in localStorage.
 * The colour is always `#rrggbb`, the only form y-prosemirror's cursors accept.
 */
export interface Identity {
  name: string;
  color: string;
}

const STORAGE_KEY = 'tandem.identity';
export const MAX_NAME_CHARS = 40;
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;

const ADJECTIVES = ['Brave', 'Calm', 'Clever', 'Gentle', 'Happy', 'Keen', 'Lucky', 'Quiet', 'Swift', 'Witty'];
const ANIMALS = ['Badger', 'Crane', 'Fox', 'Heron', 'Lynx', 'Otter', 'Owl', 'Panda', 'Robin', 'Seal'];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** A random suggestion for someone who has not chosen yet. */
export function suggestIdentity(): Identity {
  return { name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`, color: pick(PALETTE) };
}

/**
 * Cleans an identity from any source (a form, storage, or a remote peer's awareness state):
 * returns null unless `value` has a non-empty string name; a missing or malformed colour becomes grey.
 */
export function sanitizeIdentity(value: unknown): Identity | null {
  if (typeof value !== 'object' || value === null) return null;
  const { name, color } = value as { name?: unknown; color?: unknown };
  if (typeof name !== 'string') return null;
  const cleanName = name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_CHARS);
  if (cleanName === '') return null;
  const cleanColor = typeof color === 'string' && COLOR_PATTERN.test(color) ? color.toLowerCase() : '#6b7280';
  return { name: cleanName, color: cleanColor };
}

/** The stored identity, or null if none was chosen yet (or storage is unavailable). */
export function loadIdentity(): Identity | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw === null ? null : sanitizeIdentity(JSON.parse(raw));
  } catch {
    return null;
  }
}

/** Stores `identity` for later visits. Failing storage (private mode) only costs a re-ask. */
export function saveIdentity(identity: Identity): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(identity));
  } catch (err) {
    console.warn('could not store your name and colour', err);
  }
}

/**
 * Shows a modal form (`#name-form`) asking for a name and colour, prefilled with `initial`.
 * Resolves with the chosen identity, already saved; if the person dismisses the dialog (Escape),
 * resolves with `initial`, saved too, so they are not asked again on every page. With `fixedName`
 * (a signed-in person: others see their account name) only the colour is asked.
 */
export function askIdentity(initial: Identity, options: { fixedName?: boolean } = {}): Promise<Identity> {
  const dialog = document.createElement('dialog');
  dialog.className = 'identity-dialog';
  dialog.setAttribute('aria-labelledby', 'name-dialog-title');
  dialog.innerHTML = `
    <form id="name-form" method="dialog">
      <h2 id="name-dialog-title">How should others see you?</h2>
      <p class="hint">Your name and colour mark your cursor for everyone in this document.</p>
      <label for="name-input">Display name</label>
      <input id="name-input" name="name" type="text" required autocomplete="nickname">
      <label for="color-input">Colour</label>
      <input id="color-input" name="color" type="color">
      <div class="dialog-actions"><button type="submit" id="name-submit" class="primary">Continue</button></div>
    </form>`;
  const form = dialog.querySelector('form') as HTMLFormElement;
  const nameInput = dialog.querySelector('#name-input') as HTMLInputElement;
  const colorInput = dialog.querySelector('#color-input') as HTMLInputElement;
  nameInput.maxLength = MAX_NAME_CHARS;
  nameInput.value = initial.name;
  colorInput.value = initial.color;
  if (options.fixedName === true) {
    (dialog.querySelector('#name-dialog-title') as HTMLElement).textContent = 'Your colour';
    (dialog.querySelector('.hint') as HTMLElement).textContent = `Others see your cursor as ${initial.name}, in this colour.`;
    nameInput.type = 'hidden';
    (dialog.querySelector('label[for="name-input"]') as HTMLElement).hidden = true;
  }
  document.body.append(dialog);

  return new Promise((resolve) => {
    const finish = (identity: Identity): void => {
      saveIdentity(identity);
      dialog.close();
      dialog.remove();
      resolve(identity);
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = sanitizeIdentity({ name: nameInput.value, color: colorInput.value });
      if (chosen === null) {
        nameInput.setCustomValidity('Please enter a name.');
        nameInput.reportValidity();
        return;
      }
      finish(chosen);
    });
    nameInput.addEventListener('input', () => nameInput.setCustomValidity(''));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(initial);
    });
    dialog.showModal();
    if (options.fixedName === true) colorInput.focus();
    else nameInput.select();
  });
}
