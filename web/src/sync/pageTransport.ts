import { TransportChooser } from './fallbackSocket.js';

/**
 * The page's one TransportChooser: the document's connection and /live share what was learnt about
 * WebSockets here (a proxy that refuses them refuses both), and the background probe moves both.
 */
let chooser: TransportChooser | null = null;

export function pageTransport(): TransportChooser {
  if (chooser === null) {
    chooser = new TransportChooser();
    const made = chooser;
    window.addEventListener('pagehide', (event) => {
      if (!event.persisted) made.stop();
    });
  }
  return chooser;
}
