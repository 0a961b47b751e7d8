import type { Awareness } from 'y-protocols/awareness';
import { sanitizeIdentity, type Identity } from './identity.js';

/** One person shown in the presence list. */
export interface Participant extends Identity {
  clientId: number;
  isSelf: boolean;
}

/**
 * Everyone in `states` with a usable `user` field (see sanitizeIdentity), one entry per client id,
 * yourself first, then by name. Remote states are untrusted and cleaned here.
 */
export function listParticipants(states: Map<number, Record<string, unknown>>, selfId: number): Participant[] {
  const people: Participant[] = [];
  for (const [clientId, state] of states) {
    const user = sanitizeIdentity(state['user']);
    if (user !== null) people.push({ ...user, clientId, isSelf: clientId === selfId });
  }
  return people.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name) || a.clientId - b.clientId);
}

/**
 * Keeps `list` (`#presence`) showing everyone present: `<li data-client-id>` with a colour dot and
 * the name, "(you)" after your own, which is a button calling `onEditSelf`. Updates on awareness
 * 'change' when the people or their names and colours changed.
 */
export function bindPresence(awareness: Awareness, list: HTMLUListElement, onEditSelf: () => void): void {
  // Awareness changes on every cursor move; redraw only when who is here (or how they look)
  // changed, so the list is stable for screen readers and clicks on it are not lost mid-press.
  let shown = '';
  const render = (): void => {
    const people = listParticipants(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID);
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
  if (!person.isSelf) {
    item.append(dot, name);
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
  button.setAttribute('aria-label', `${person.name} (you) — change your name or colour`);
  button.append(dot, name, you);
  button.addEventListener('click', onEditSelf);
  item.append(button);
  return item;
}
