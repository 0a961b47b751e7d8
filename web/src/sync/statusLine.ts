import type { WebsocketProvider } from 'y-websocket';
import { CloseCode, describeCloseCode, isReconnectAtOnce } from '../../../shared/closeCodes.js';
import { isTerminalClose } from './reconnect.js';
import type { SavedTracker } from './savedTracker.js';
import type { LoadProgress } from './loadProgress.js';

/** The status line's states. `#status` shows exactly STATUS_TEXT[state] (or the close reason). */
export type StatusState = 'connecting' | 'loading' | 'saved' | 'saving' | 'unsaved' | 'offline' | 'stopped';

export const STATUS_TEXT = {
  connecting: 'Connecting…',
  loading: 'Loading document…',
  saved: 'Saved',
  saving: 'Saving…',
  unsaved: 'Not saved — the server cannot store changes right now',
  refused: 'Not saved — you can only view this document',
  offline: 'Offline — your changes are kept and will sync',
  /** The detail beside Saved / Saving… while the connection goes over the HTTP transport. */
  compatibility: 'Connected (compatibility mode)',
} as const;

/** What the status line is derived from. */
export interface StatusInputs {
  /** The socket is open and the server's document has been received (provider.synced). */
  online: boolean;
  /** `online` has been true at least once on this page. */
  everOnline: boolean;
  /** A connection attempt has ended (closed or refused) on this page. */
  attemptFailed: boolean;
  /** Unsynced changes survive closing the tab (this browser keeps an offline copy in IndexedDB). */
  keptLocally: boolean;
  /** Code of a close after which the provider stopped reconnecting; null while it keeps trying. */
  stoppedCode: number | null;
  /** Local changes not yet known to be committed. */
  pendingChanges: number;
  /** The server said its storage refuses writes (it keeps ours and retries). */
  storageFailing: boolean;
  /** Code of the last close while the provider keeps retrying, for the detail line; else null. */
  lastCloseCode: number | null;
  /** The server refused a change of this window because it may only view (until it may edit again). */
  changesRefused: boolean;
  /** How far a big document's first sync is, in whole percent, or null when none is under way. */
  loadingPercent: number | null;
}

/** The main text, the state, and a secondary detail sentence ('' when there is nothing to add). */
export interface StatusView {
  state: StatusState;
  text: string;
  detail: string;
}

/**
 * Derives the status line. "Saved" only when online and every local change is acknowledged by
 * the server. A page that has never been online says "Connecting…" until an attempt fails, then
 * "Offline" like one that was online: with an offline copy the document is usable either way, and
 * after a reload while offline its unsynced changes are counted in the detail. Without an offline
 * copy the detail asks to keep the tab open.
 */
export function deriveStatus(inputs: StatusInputs): StatusView {
  const pending = inputs.pendingChanges;
  if (inputs.stoppedCode !== null) {
    const where = inputs.keptLocally ? 'Kept in this browser; retry to sync.' : 'Keep this tab open and retry.';
    return {
      state: 'stopped',
      text: describeCloseCode(inputs.stoppedCode),
      detail: pending > 0 ? `${changes(pending)} not saved. ${where}` : '',
    };
  }
  if (!inputs.online && inputs.loadingPercent !== null) {
    return { state: 'loading', text: `${STATUS_TEXT.loading} ${inputs.loadingPercent} %`, detail: '' };
  }
  if (inputs.online && inputs.changesRefused) {
    // The server acknowledged those frames as handled, not as stored: nothing of them is saved.
    return { state: 'unsaved', text: STATUS_TEXT.refused, detail: 'The server refused your last changes; they are only in this window.' };
  }
  if (inputs.online && inputs.storageFailing && pending > 0) {
    return { state: 'unsaved', text: STATUS_TEXT.unsaved, detail: `${changes(pending)} kept here; the server keeps retrying.` };
  }
  if (inputs.online) {
    return pending === 0
      ? { state: 'saved', text: STATUS_TEXT.saved, detail: '' }
      : { state: 'saving', text: STATUS_TEXT.saving, detail: `${changes(pending)} to save` };
  }
  if (!inputs.everOnline && !inputs.attemptFailed) {
    return { state: 'connecting', text: STATUS_TEXT.connecting, detail: '' };
  }
  const parts: string[] = [];
  if (pending > 0) parts.push(`${changes(pending)} wait${pending === 1 ? 's' : ''} to sync.${inputs.keptLocally ? '' : ' Keep this tab open.'}`);
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
 * `keptLocally()` says whether the browser's offline copy is working. A 'closed' event is a stop
 * only for a terminal close; any other is a pause before reconnect.ts reconnects. Retry calls
 * `retry` (default provider.connect(), which the provider allows after a terminal close).
 */
export function bindStatus(
  provider: WebsocketProvider,
  tracker: SavedTracker,
  els: StatusElements,
  keptLocally: () => boolean = () => false,
  retry: () => void = () => provider.connect(),
  progress: LoadProgress | null = null,
): { refresh(): void; setChangesRefused(refused: boolean): void } {
  const inputs: StatusInputs = {
    online: false,
    everOnline: false,
    attemptFailed: false,
    keptLocally: keptLocally(),
    stoppedCode: null,
    pendingChanges: 0,
    storageFailing: false,
    lastCloseCode: null,
    changesRefused: false,
    loadingPercent: null,
  };
  // Between our socket closing to move to a WebSocket and the new one syncing, still online.
  let switching = false;
  const render = (): void => {
    inputs.loadingPercent = progress?.percent ?? null;
    inputs.online = (provider.wsconnected && provider.synced) || switching;
    if (inputs.online) inputs.everOnline = true;
    inputs.pendingChanges = tracker.pendingChanges;
    inputs.storageFailing = tracker.serverStorageFailing;
    inputs.keptLocally = keptLocally();
    const view = deriveStatus(inputs);
    const transport = (provider.ws as { transport?: string } | null)?.transport ?? 'websocket';
    if (transport === 'http' && (view.state === 'saved' || view.state === 'saving')) {
      view.detail = view.detail === '' ? STATUS_TEXT.compatibility : `${view.detail} · ${STATUS_TEXT.compatibility}`;
    }
    els.status.dataset['transport'] = transport;
    if (els.status.textContent !== view.text) els.status.textContent = view.text;
    if (els.detail.textContent !== view.detail) els.detail.textContent = view.detail;
    els.status.dataset['state'] = view.state;
    els.status.dataset['pending'] = String(inputs.pendingChanges);
    // Retrying cannot bring back access that was taken away or a deleted document.
    els.retry.hidden =
      view.state !== 'stopped' || inputs.stoppedCode === CloseCode.noAccess || inputs.stoppedCode === CloseCode.docNotFound || inputs.stoppedCode === CloseCode.docDeleted;
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
  provider.on('sync', (synced) => {
    if (synced) switching = false;
    schedule();
  });
  provider.on('connection-close', (event) => {
    // Only from a synced connection (the provider clears its flags after this event): a session
    // refused again before it synced is a failed attempt like any other.
    switching = event !== null && isReconnectAtOnce(event.code) && provider.wsconnected && provider.synced;
    if (switching) return schedule();
    inputs.lastCloseCode = event === null ? null : event.code;
    inputs.attemptFailed = true;
    schedule();
  });
  provider.on('closed', ({ code }) => {
    if (isTerminalClose(code)) inputs.stoppedCode = code;
    schedule();
  });
  tracker.onChange(schedule);
  progress?.onChange(schedule);
  els.retry.addEventListener('click', () => {
    inputs.stoppedCode = null;
    retry();
    schedule();
  });
  render();
  return {
    refresh: schedule,
    setChangesRefused(refused: boolean) {
      inputs.changesRefused = refused;
      schedule();
    },
  };
}
