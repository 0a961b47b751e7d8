import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus metrics; subsystems add their live figures with `metrics.observe`. */
    metrics: Metrics;
  }
}

/** Creates the app's metrics registry (nothing process-global, nothing to release). */
async function metricsPlugin(app: FastifyInstance): Promise<void> {
  app.decorate('metrics', createMetrics());
}

export default fp(metricsPlugin, { name: 'tandem-metrics', fastify: '5.x' });
