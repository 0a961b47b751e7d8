import { LIVE_PATH } from '../../../shared/live.js';
import { LiveClient, type LiveSocket } from './liveClient.js';
import { pageTransport } from '../sync/pageTransport.js';
import { reconnectDelayMs } from '../sync/reconnect.js';

export type { LiveEvents, LiveState } from './liveClient.js';
export { LiveClient, LiveSendError } from './liveClient.js';

/**
 * The page's one /live connection (signed-in pages only): made by startLive() when the page starts,
 * closed when the page goes away, reconnected at once when the browser comes back online.
 */
let live: LiveClient | null = null;

export function startLive(): LiveClient {
  if (live !== null) return live;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // The same socket as the document's: a WebSocket where one works, else the HTTP transport.
  const Socket = pageTransport().socketClass();
  const client = new LiveClient({
    url: `${scheme}://${location.host}${LIVE_PATH}`,
    delayFor: (attempt) => reconnectDelayMs(attempt),
    openSocket: (url) => new Socket(url) as unknown as LiveSocket,
  });
  live = client;
  window.addEventListener('online', () => client.connectNow());
  window.addEventListener('pagehide', (event) => {
    if (!event.persisted) client.close();
  });
  client.start();
  return client;
}

/** The page's live connection, or null when nobody is signed in. */
export function currentLive(): LiveClient | null {
  return live;
}
