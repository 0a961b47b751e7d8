import type { Awareness } from 'y-protocols/awareness';
import { sanitizeIdentity, type Identity } from './identity.js';
import { TypingWatch } from './typing.js';

/** One person shown in the presence list. */
export interface Participant extends Identity {
  clientId: number;
  isSelf: boolean;
  /** Someone else who edited in the last few seconds (see typing.ts); never true for yourself. */
  typing: boolean;
  /** A visitor without an account (the server marks their awareness `user.guest`). */
  guest: boolean;
}

/**
 * Everyone in `states` with a usable `user` field (see sanitizeIdentity), one entry per client id,
 * yourself first, then by name; `isTyping(id)` marks the others who are typing; `guest` is
 * `user.guest === true` (set by the server for visitors; `selfGuest` for your own entry, which the
 * server does not send back). Remote states are untrusted and cleaned here.
 */
export function listParticipants(
  states: Map<number, Record<string, unknown>>,
  selfId: number,
  isTyping: (clientId: number) => boolean = () => false,
  selfGuest = false,
): Participant[] {
  const people: Participant[] = [];
  for (const [clientId, state] of states) {
    const user = sanitizeIdentity(state['user']);
    const isSelf = clientId === selfId;
    const guest = isSelf ? selfGuest : isGuest(state['user']);
    if (user !== null) people.push({ ...user, clientId, isSelf, typing: !isSelf && isTyping(clientId), guest });
  }
  return people.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name) || a.clientId - b.clientId);
}

/**
 * Keeps `list` (`#presence`) showing everyone present: `<li data-client-id>` with a colour dot and
 * the name, "(you)" after your own, which is a button calling `onEditSelf`; someone else who is
 * typing gets `data-typing="true"` and a "typing…" label. Updates on awareness 'change' when the
 * people, their names and colours, or who is typing changed, and on a local timer when a "typing…"
 * expires (the timer runs only while someone is shown typing; it sends nothing).
 */
export function bindPresence(awareness: Awareness, list: HTMLUListElement, onEditSelf: () => void, selfGuest = false): void {
  // Awareness changes on every cursor move; redraw only when who is here (or how they look)
  // changed, so the list is stable for screen readers and clicks on it are not lost mid-press.
  let shown = '';
  const typing = new TypingWatch();
  let expiryTimer: ReturnType<typeof setTimeout> | null = null;
  const render = (): void => {
    const now = Date.now();
    const states = awareness.getStates() as Map<number, Record<string, unknown>>;
    typing.observe(states, now);
    const people = listParticipants(states, awareness.clientID, (id) => typing.isTyping(id, now), selfGuest);
    if (expiryTimer !== null) clearTimeout(expiryTimer);
    expiryTimer = null;
    const next = typing.nextExpiry(people.filter((p) => p.typing).map((p) => p.clientId), now);
    if (next !== null) expiryTimer = setTimeout(render, Math.max(0, next - now) + 20);
    const key = JSON.stringify(people);
    if (key === shown) return;
    shown = key;
    list.replaceChildren(...people.map((person) => renderPerson(person, onEditSelf)));
  };
  awareness.on('change', render);
  render();
}

function renderPerson(person: Participant, onEditSelf: () => void): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset['clientId'] = String(person.clientId);
  if (person.isSelf) item.dataset['self'] = 'true';
  const dot = document.createElement('span');
  dot.className = 'presence-dot';
  dot.style.backgroundColor = person.color;
  dot.setAttribute('aria-hidden', 'true');
  const name = document.createElement('span');
  name.className = 'presence-name';
  name.textContent = person.name;
  if (person.guest) item.dataset['guest'] = 'true';
  const guest = document.createElement('span');
  guest.className = 'presence-guest';
  guest.textContent = person.guest ? ' (guest)' : '';
  if (!person.isSelf) {
    item.append(dot, name, guest);
    if (person.typing) {
      item.dataset['typing'] = 'true';
      const label = document.createElement('span');
      label.className = 'presence-typing';
      label.textContent = 'typing…';
      item.append(label);
    }
    return item;
  }
  const you = document.createElement('span');
  you.className = 'presence-you';
  you.textContent = ' (you)';
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'edit-identity';
  button.className = 'presence-self';
  button.title = 'Change your name or colour';
  button.setAttribute('aria-label', `${person.name}${person.guest ? ' (guest)' : ''} (you) — change your ${person.guest ? 'name or colour' : 'colour'}`);
  button.title = person.guest ? 'Change your name or colour' : 'Change your colour';
  button.append(dot, name, guest, you);
  button.addEventListener('click', onEditSelf);
  item.append(button);
  return item;
}

/** Whether a (remote, untrusted) awareness `user` field says its owner is a visitor. */
export function isGuest(user: unknown): boolean {
  return typeof user === 'object' && user !== null && (user as { guest?: unknown }).guest === true;
}
