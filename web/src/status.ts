import type { WebsocketProvider } from 'y-websocket';
import { CloseCode, describeCloseCode } from '../../shared/closeCodes.js';
import type { SavedTracker } from './savedTracker.js';

/** The status line's states. `#status` shows exactly STATUS_TEXT[state] (or the close reason). */
export type StatusState = 'connecting' | 'saved' | 'saving' | 'offline' | 'stopped';

export const STATUS_TEXT = {
  connecting: 'Connecting…',
  saved: 'Saved',
  saving: 'Saving…',
  offline: 'Offline — your changes are kept and will sync',
} as const;

/** What the status line is derived from. */
export interface StatusInputs {
  /** The socket is open and the server's document has been received (provider.synced). */
  online: boolean;
  /** `online` has been true at least once on this page. */
  everOnline: boolean;
  /** Code of a close after which the provider stopped reconnecting; null while it keeps trying. */
  stoppedCode: number | null;
  /** Local changes not yet known to be committed. */
  pendingChanges: number;
  /** Code of the last close while the provider keeps retrying, for the detail line; else null. */
  lastCloseCode: number | null;
}

/** The main text, the state, and a secondary detail sentence ('' when there is nothing to add). */
export interface StatusView {
  state: StatusState;
  text: string;
  detail: string;
}

/**
 * Derives the status line. "Saved" only when online and every local change is acknowledged by
 * the server; a page that has never been online says "Connecting…", one that was says "Offline".
 */
export function deriveStatus(inputs: StatusInputs): StatusView {
  const pending = inputs.pendingChanges;
  if (inputs.stoppedCode !== null) {
    return {
      state: 'stopped',
      text: describeCloseCode(inputs.stoppedCode),
      detail: pending > 0 ? `${changes(pending)} not saved. Keep this tab open and retry.` : '',
    };
  }
  if (inputs.online) {
    return pending === 0
      ? { state: 'saved', text: STATUS_TEXT.saved, detail: '' }
      : { state: 'saving', text: STATUS_TEXT.saving, detail: `${changes(pending)} to save` };
  }
  if (!inputs.everOnline) {
    return { state: 'connecting', text: STATUS_TEXT.connecting, detail: '' };
  }
  const parts: string[] = [];
  if (pending > 0) parts.push(`${changes(pending)} wait to sync.`);
  const code = inputs.lastCloseCode;
  if (code !== null && isExplainedCode(code)) parts.push(`${describeCloseCode(code)}.`);
  return { state: 'offline', text: STATUS_TEXT.offline, detail: parts.join(' ') };
}

/** Close codes whose description tells the user something (not 1000/1005/1006 and friends). */
function isExplainedCode(code: number): boolean {
  return code !== CloseCode.normal && (Object.values(CloseCode) as number[]).includes(code);
}

function changes(n: number): string {
  return n === 1 ? '1 change' : `${n} changes`;
}

/** The status line's elements. `retry` is shown only in the stopped state. */
export interface StatusElements {
  status: HTMLElement;
  detail: HTMLElement;
  retry: HTMLButtonElement;
}

/**
 * Keeps `els` telling the truth about `provider` and `tracker` until the page goes away.
 * Retry calls provider.connect(), which the provider allows after a terminal close.
 */
export function bindStatus(provider: WebsocketProvider, tracker: SavedTracker, els: StatusElements): void {
  const inputs: StatusInputs = {
    online: false,
    everOnline: false,
    stoppedCode: null,
    pendingChanges: 0,
    lastCloseCode: null,
  };
  const render = (): void => {
    inputs.online = provider.wsconnected && provider.synced;
    if (inputs.online) inputs.everOnline = true;
    inputs.pendingChanges = tracker.pendingChanges;
    const view = deriveStatus(inputs);
    if (els.status.textContent !== view.text) els.status.textContent = view.text;
    if (els.detail.textContent !== view.detail) els.detail.textContent = view.detail;
    els.status.dataset['state'] = view.state;
    els.status.dataset['pending'] = String(inputs.pendingChanges);
    els.retry.hidden = view.state !== 'stopped';
  };
  // Renders once per burst of events, after the provider has finished updating its own fields
  // (it emits 'connection-close' before it clears wsconnected, for instance).
  let queued = false;
  const schedule = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      render();
    });
  };
  provider.on('status', ({ status }) => {
    if (status === 'connecting') inputs.stoppedCode = null;
    schedule();
  });
  provider.on('sync', schedule);
  provider.on('connection-close', (event) => {
    inputs.lastCloseCode = event === null ? null : event.code;
    schedule();
  });
  provider.on('closed', ({ code }) => {
    inputs.stoppedCode = code;
    schedule();
  });
  tracker.onChange(schedule);
  els.retry.addEventListener('click', () => {
    inputs.stoppedCode = null;
    provider.connect();
    schedule();
  });
  render();
}
