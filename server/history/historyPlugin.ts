import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { HistoryConfig } from '../config.js';
import { HistoryService } from './historyService.js';
import { HistoryThread } from './historyThread.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Documents' version history (HistoryService). */
    history: HistoryService;
  }
}

/**
 * Version history on the document store: the service, its worker thread, and the registry's
 * commits watched for automatic versions. onClose (before the stores close): the versions still
 * due are made, and the thread ends.
 */
async function historyPlugin(app: FastifyInstance, { config }: { config: HistoryConfig }): Promise<void> {
  const history = new HistoryService({
    store: app.docStore,
    registry: app.rooms,
    accounts: app.accountStore,
    thread: new HistoryThread(),
    config,
    log: app.log,
    live: app.live.hub,
  });
  app.rooms.onStored = (docId) => history.stored(docId);
  app.decorate('history', history);
  app.addHook('onClose', async () => {
    app.rooms.onStored = null;
    await history.close();
  });
}

export default fp(historyPlugin, { name: 'tandem-history', fastify: '5.x', dependencies: ['tandem-storage', 'tandem-rooms', 'tandem-live'] });
