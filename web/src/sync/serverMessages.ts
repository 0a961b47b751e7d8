import type { WebsocketProvider } from 'y-websocket';
import * as decoding from 'lib0/decoding';
import { HeldSegments } from './heldSegments.js';
import { withIncomingDeletes } from './incomingDeletes.js';
import type { Role } from '../../../shared/accounts.js';
import {
  readAccessBody,
  readLoadProgressBody,
  readPermissionDeniedBody,
  readSavedAckBody,
  readStorageStatusBody,
} from '../../../shared/codec.js';
import { MessageType } from '../../../shared/protocol.js';

/**
 * What this window does with what the server says beyond sync and awareness. Each callback gets
 * the decoded value; a malformed message is logged and ignored.
 */
export interface ServerMessageHandlers {
  /** `[100, N]` on `socket` (the provider's current socket): frames 1..N it sent are committed. */
  saved(socket: WebSocket, committedFrames: number): void;
  /**
   * `[101, 1]`: storage refuses writes (ours are kept and retried); `[101, 0]`: it stores again.
   * Also called with false when the connection closes: a new connection is told again if it still fails.
   */
  storageFailing(failing: boolean): void;
  /** `[102, role]`: my role on this document, on join and on every change. */
  role(role: Role): void;
  /** `[2, 0, reason]` (y-protocols auth): the server refused a change of mine (I can only view). */
  changeRefused(reason: string): void;
  /** `[103, bytes]`: a big document follows in segments, `bytes` of sync frames in all. */
  loading(bytes: number): void;
  /** A sync frame of `bytes` arrived (before the provider applies it). */
  syncFrame(bytes: number): void;
  /**
   * A sync or awareness frame is about to be applied (someone else's change or caret will be drawn):
   * the editor reads what the browser changed and it has not read yet (document/pendingInput.ts).
   */
  beforeRemote(): void;
}

/**
 * The one place the client handles the server's own messages (types 100+, sent because the
 * provider connects with `?ack=1`) and the auth message, replacing y-websocket's default auth
 * handler (which only logs). Decoding is shared/codec.ts's. Handlers write nothing to the reply
 * encoder, so the provider sends no answer. Register before the provider connects.
 */
export function handleServerMessages(provider: WebsocketProvider, handlers: ServerMessageHandlers): void {
  provider.messageHandlers[MessageType.saved] = (_encoder, decoder, p) => {
    const socket = p.ws;
    if (socket !== null) readOrIgnore('saved acknowledgement', () => readSavedAckBody(decoder), (n) => handlers.saved(socket, n));
  };
  provider.messageHandlers[MessageType.storageStatus] = (_encoder, decoder) => {
    readOrIgnore('storage status', () => readStorageStatusBody(decoder), (failing) => handlers.storageFailing(failing));
  };
  provider.on('connection-close', () => handlers.storageFailing(false));
  provider.messageHandlers[MessageType.access] = (_encoder, decoder) => {
    readOrIgnore('access message', () => readAccessBody(decoder), (role) => handlers.role(role));
  };
  // A big document's segments are applied together when its load ends (heldSegments.ts).
  const segments = new HeldSegments();
  provider.on('connection-close', () => segments.drop());
  provider.messageHandlers[MessageType.loadProgress] = (_encoder, decoder) => {
    readOrIgnore('load progress message', () => readLoadProgressBody(decoder), (bytes) => {
      segments.begin();
      handlers.loading(bytes);
    });
  };
  // The stock sync handler still does the work; this counts the bytes for the progress and tells
  // the move rebase what the sender itself deleted (incomingDeletes.ts).
  const stockSync = provider.messageHandlers[MessageType.sync]!;
  provider.messageHandlers[MessageType.sync] = (encoder, decoder, p, emitSynced, messageType) => {
    handlers.beforeRemote();
    handlers.syncFrame(decoder.arr.length);
    const apply = () => withIncomingDeletes(decoder, () => stockSync(encoder, decoder, p, emitSynced, messageType), p.doc);
    // A malformed frame (no sync type) goes to the stock handler at once, which fails as it would have.
    let syncType = -1;
    try {
      syncType = decoding.peekVarUint(decoder);
    } catch {
      return apply();
    }
    segments.handle(p.doc, p, syncType, apply);
  };
  const stockAwareness = provider.messageHandlers[MessageType.awareness]!;
  provider.messageHandlers[MessageType.awareness] = (...args) => {
    handlers.beforeRemote();
    stockAwareness(...args);
  };
  provider.messageHandlers[MessageType.auth] = (_encoder, decoder) => {
    // Any auth message is a refusal: y-protocols defines no other kind (null: an unknown one).
    const reason = readPermissionDeniedBody(decoder);
    if (reason !== null) console.info(`the server refused a change: ${reason}`);
    handlers.changeRefused(reason ?? '');
  };
}

/** Passes what `read` decodes to `use`; a malformed message (read throws) is logged and ignored. */
function readOrIgnore<T>(what: string, read: () => T, use: (value: T) => void): void {
  let value: T;
  try {
    value = read();
  } catch (err) {
    console.warn(`malformed ${what} ignored`, err);
    return;
  }
  use(value);
}
