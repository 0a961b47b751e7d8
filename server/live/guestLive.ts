import type { FastifyBaseLogger } from 'fastify';
import { CloseCode } from '../../shared/closeCodes.js';
import { DEFAULT_GUEST_NAME } from '../../shared/comments.js';
import type { AccountStore } from '../accounts/accountStore.js';
import type { AccessJournal } from '../people/accessJournal.js';
import type { AccessRefusal, DocAccess } from '../people/docAccess.js';
import type { LiveConnection } from './liveConnection.js';
import type { LiveHub } from './liveHub.js';

/** How a guest's socket is closed, by why the document does not admit the visitor (as /collab closes one). */
const GUEST_REFUSALS: Record<AccessRefusal, [number, string]> = {
  sign_in_required: [CloseCode.unauthenticated, 'this document is not open to visitors; sign in'],
  no_access: [CloseCode.noAccess, 'you have no access to this document'],
  deleted: [CloseCode.docDeleted, 'this document was deleted'],
};
const CHANGED_WHILE_CONNECTING: [number, string] = [CloseCode.tryAgain, 'access to this document changed while connecting; reconnect'];

export interface GuestAdmission {
  access: DocAccess;
  accounts: AccountStore;
  journal: AccessJournal;
  hub: LiveHub;
}

/**
 * Admits a guest's /live socket (`connection.guest` set, its listeners attached) to the hub, or
 * closes it: where the link does not admit visitors (4401, 4404, 4410), and with 1013 when the
 * document's access changed while this was resolved (the hub was not there to close it). Before the
 * hello, the guest's name becomes the one stored with their last comment write. Never rejects.
 */
export async function admitGuest({ access, accounts, journal, hub }: GuestAdmission, connection: LiveConnection, log: FastifyBaseLogger, accessMark: number): Promise<void> {
  const { docId, user } = connection.guest!;
  try {
    const result = await access.resolve(docId, null, false);
    if (user.id !== '') user.name = (await accounts.guestName(user.id)) ?? DEFAULT_GUEST_NAME;
    if (connection.isClosed) return;
    const changed = journal.changedSince(accessMark, { docId, userId: null, sessionHash: null }) !== null;
    const refusal = 'refused' in result ? GUEST_REFUSALS[result.refused] : changed ? CHANGED_WHILE_CONNECTING : null;
    if (refusal !== null) {
      const [code, reason] = refusal;
      log.warn({ code }, `refused guest live websocket: ${reason}`);
      connection.close(code, reason);
      return;
    }
    log.info('guest live websocket opened');
    hub.add(connection);
  } catch (error) {
    log.error({ err: error }, 'could not admit a guest live websocket');
    connection.close(CloseCode.serverError, 'the server could not check your access');
  }
}
