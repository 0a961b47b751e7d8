import { guestLivePath, LIVE_PATH } from '../../../shared/live.js';
import { LiveClient, type LiveSocket } from './liveClient.js';
import { pageTransport } from '../sync/pageTransport.js';
import { reconnectDelayMs } from '../sync/reconnect.js';

export type { LiveEvents, LiveState } from './liveClient.js';
export { LiveClient, LiveSendError } from './liveClient.js';

/**
 * The page's one /live connection: a signed-in page's, made by startLive() when the page starts, or a
 * visitor's on a document page (startGuestLive), following that document's comments;
 * closed when the page goes away, reconnected at once when the browser comes back online.
 */
let live: LiveClient | null = null;

export function startLive(): LiveClient {
  if (live !== null) return live;
  const client = makeClient(LIVE_PATH);
  live = client;
  client.start();
  return client;
}

/** A client of `pathAndQuery` on this host, reconnected when the browser comes online, closed with the page. */
function makeClient(pathAndQuery: string): LiveClient {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // The same socket as the document's: a WebSocket where one works, else the HTTP transport.
  const Socket = pageTransport().socketClass();
  const client = new LiveClient({
    url: `${scheme}://${location.host}${pathAndQuery}`,
    delayFor: (attempt) => reconnectDelayMs(attempt),
    openSocket: (url) => new Socket(url) as unknown as LiveSocket,
  });
  window.addEventListener('online', () => client.connectNow());
  window.addEventListener('pagehide', (event) => {
    if (!event.persisted) client.close();
  });
  return client;
}

/**
 * A visitor's /live on document `docId` (shared/live.ts, guestLivePath): it carries that document's
 * comment changes only. Closed when the page goes away, like the signed-in one.
 */
export function startGuestLive(docId: string): LiveClient {
  if (live !== null) return live;
  const client = makeClient(guestLivePath(docId));
  live = client;
  client.start();
  return client;
}

/** The page's live connection, or null when nobody is signed in. */
export function currentLive(): LiveClient | null {
  return live;
}
