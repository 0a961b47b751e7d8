/** Small DOM helpers: elements built from code, text always set as text (never parsed as HTML). */

export type Child = Node | string | null | undefined | false;

export interface ElementProps {
  id?: string;
  className?: string;
  text?: string;
  /** Attributes set with setAttribute (aria-*, role, type, href…). */
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
  hidden?: boolean;
}

/** `<tag>` with `props` and `children` (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.id !== undefined) element.id = props.id;
  if (props.className !== undefined) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const [name, value] of Object.entries(props.dataset ?? {})) element.dataset[name] = value;
  if (props.hidden === true) element.hidden = true;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A `<button type="button">` that calls `onClick`. */
export function button(text: string, onClick: (event: MouseEvent) => void, props: ElementProps = {}): HTMLButtonElement {
  const b = el('button', { ...props, text, attrs: { type: 'button', ...props.attrs } });
  b.addEventListener('click', onClick);
  return b;
}

/** The element with id `id` under `root`; throws when a template lacks it (a bug, not a user error). */
export function byId<T extends HTMLElement>(root: ParentNode, id: string): T {
  const element = root.querySelector(`#${CSS.escape(id)}`);
  if (element === null) throw new Error(`page has no #${id}`);
  return element as T;
}

/** A `<time>` showing `text` for `epochMs`, with the full date and time as its tooltip. */
export function timeElement(epochMs: number, text: string): HTMLTimeElement {
  const time = el('time', { text });
  time.dateTime = new Date(epochMs).toISOString();
  time.title = new Date(epochMs).toLocaleString();
  return time;
}

/** An unread count badge: hidden at 0, "99+" above 99, with words for screen readers. */
export function setBadge(badge: HTMLElement, count: number, noun = 'unread'): void {
  badge.hidden = count <= 0;
  badge.textContent = count > 99 ? '99+' : String(count);
  badge.dataset['count'] = String(Math.max(0, count));
  badge.setAttribute('aria-label', `${count} ${noun}`);
}
