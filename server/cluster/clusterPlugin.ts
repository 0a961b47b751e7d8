import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ClusterConfig } from '../config.js';
import type { ClusterBus } from './clusterBus.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Redis bus in cluster mode (REDIS_URL), else null: this process is alone. */
    clusterBus: ClusterBus | null;
  }
}

/**
 * Connects the cluster bus when REDIS_URL is set. Subsystems subscribe to it themselves (the rooms
 * repair on 'ready', rooms and presence forget a 'processGone' process, people events relay both
 * ways), so the bus needs none of them to be built. The registry closes it after the final commit
 * (its 'bye' tells the others to drop this process's presence); `onClose` makes sure it is closed.
 */
async function clusterPlugin(app: FastifyInstance, { config }: { config: ClusterConfig }): Promise<void> {
  // Loaded only in cluster mode: the bus and ioredis are nothing a single process needs to hold.
  const bus = config.redisUrl ? new (await import('./clusterBus.js')).ClusterBus(config.redisUrl, app.log) : null;
  app.decorate('clusterBus', bus);
  app.addHook('onClose', async () => {
    await bus?.close();
  });
}

export default fp(clusterPlugin, { name: 'tandem-cluster', fastify: '5.x' });
