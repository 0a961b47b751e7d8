import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { PENDING_KEY_PREFIX, readPendingCount, writePendingCount, type CountStorage } from '../../web/src/sync/offlineCopy.js';
import { deriveStatus, STATUS_TEXT, type StatusInputs } from '../../web/src/sync/statusLine.js';

function memoryStorage(): CountStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
}

describe('unsynced change count in localStorage', () => {
  it('round-trips per document, and 0 removes the key', () => {
    const storage = memoryStorage();
    writePendingCount(storage, 'doc-a', 4);
    writePendingCount(storage, 'doc-b', 1);
    expect(readPendingCount(storage, 'doc-a')).toBe(4);
    expect(storage.data.get(`${PENDING_KEY_PREFIX}doc-a`)).toBe('4');
    writePendingCount(storage, 'doc-a', 0);
    expect(storage.data.has(`${PENDING_KEY_PREFIX}doc-a`)).toBe(false);
    expect(readPendingCount(storage, 'doc-a')).toBe(0);
    expect(readPendingCount(storage, 'doc-b')).toBe(1);
  });

  it('reads garbage, absence and failing storage as 0, and never throws', () => {
    const storage = memoryStorage();
    for (const raw of ['-2', 'abc', '1.5', '', '1e400']) {
      storage.data.set(`${PENDING_KEY_PREFIX}x`, raw);
      expect(readPendingCount(storage, 'x')).toBe(0);
    }
    expect(readPendingCount(null, 'x')).toBe(0);
    const failing: CountStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('full');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(readPendingCount(failing, 'x')).toBe(0);
    expect(() => writePendingCount(failing, 'x', 3)).not.toThrow();
  });
});

describe('deriveStatus', () => {
  const base: StatusInputs = {
    loadingPercent: null,
    online: false,
    everOnline: false,
    attemptFailed: false,
    keptLocally: true,
    stoppedCode: null,
    pendingChanges: 0,
    storageFailing: false,
    lastCloseCode: null,
    changesRefused: false,
  };

  it('never says "Saved" after the server refused a change of a window that may only view', () => {
    const online = { ...base, online: true, everOnline: true };
    // The refused frames are acknowledged as handled, so nothing counts as pending any more.
    const view = deriveStatus({ ...online, changesRefused: true, pendingChanges: 0 });
    expect(view.state).toBe('unsaved');
    expect(view.text).toBe(STATUS_TEXT.refused);
    expect(deriveStatus({ ...online, changesRefused: false, pendingChanges: 0 }).state).toBe('saved');
  });

  it('says "Not saved" while the server reports failing storage and changes wait; "Saved" never then', () => {
    const online = { ...base, online: true, everOnline: true };
    const failing = deriveStatus({ ...online, storageFailing: true, pendingChanges: 2 });
    expect(failing).toEqual({ state: 'unsaved', text: STATUS_TEXT.unsaved, detail: '2 changes kept here; the server keeps retrying.' });
    // Nothing of ours waits: everything we made is committed, so "Saved" is still the truth.
    expect(deriveStatus({ ...online, storageFailing: true, pendingChanges: 0 }).state).toBe('saved');
    expect(deriveStatus({ ...online, storageFailing: false, pendingChanges: 2 }).state).toBe('saving');
  });

  it('after a reload while offline, says Offline with the restored count once an attempt failed', () => {
    expect(deriveStatus({ ...base, pendingChanges: 3 }).state).toBe('connecting');
    const view = deriveStatus({ ...base, pendingChanges: 3, attemptFailed: true, lastCloseCode: 1006 });
    expect(view).toEqual({ state: 'offline', text: STATUS_TEXT.offline, detail: '3 changes wait to sync.' });
    expect(deriveStatus({ ...base, pendingChanges: 1, attemptFailed: true }).detail).toBe('1 change waits to sync.');
  });

  it('asks to keep the tab open only when there is no offline copy', () => {
    const view = deriveStatus({ ...base, everOnline: true, keptLocally: false, pendingChanges: 2 });
    expect(view.detail).toBe('2 changes wait to sync. Keep this tab open.');
    expect(deriveStatus({ ...base, stoppedCode: CloseCode.forbidden, keptLocally: false, pendingChanges: 2 }).detail).toContain('Keep this tab open');
    expect(deriveStatus({ ...base, stoppedCode: CloseCode.forbidden, pendingChanges: 2 }).detail).toContain('Kept in this browser');
  });

  it('after a restart close, stays Offline (not stopped) and names the reason', () => {
    const view = deriveStatus({ ...base, everOnline: true, attemptFailed: true, lastCloseCode: CloseCode.restarting });
    expect(view.state).toBe('offline');
    expect(view.detail).toBe('The server is restarting.');
  });

  it('says how far a big document has loaded until it is synced', () => {
    expect(deriveStatus({ ...base, loadingPercent: 43 })).toEqual({ state: 'loading', text: 'Loading document… 43 %', detail: '' });
    expect(deriveStatus({ ...base, online: true, everOnline: true, loadingPercent: 43 }).state).toBe('saved');
  });

  it('is Saved only online with nothing pending', () => {
    expect(deriveStatus({ ...base, online: true, everOnline: true }).state).toBe('saved');
    expect(deriveStatus({ ...base, online: true, everOnline: true, pendingChanges: 1 }).state).toBe('saving');
  });
});
