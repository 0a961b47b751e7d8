import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BigDocsConfig } from '../config.js';
import { DocWorkers } from './docWorkers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The worker threads for big documents, and from what size a document counts as big. */
    bigDocs: BigDocs;
  }
}

export interface BigDocs extends BigDocsConfig {
  workers: DocWorkers;
}

/**
 * The pool of document worker threads (compaction, export and import of big documents; see
 * docWorkers.ts). Threads start on first use; `onClose` ends them, after the rooms' final
 * compactions (preClose) are done.
 */
async function bigDocsPlugin(app: FastifyInstance, { config }: { config: BigDocsConfig }): Promise<void> {
  const workers = new DocWorkers({ threads: config.docWorkerThreads });
  app.decorate('bigDocs', { ...config, workers });
  app.addHook('onClose', async () => {
    await workers.close();
  });
}

export default fp(bigDocsPlugin, { name: 'tandem-bigdocs', fastify: '5.x' });
