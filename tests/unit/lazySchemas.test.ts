import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lazySchemas } from '../../server/api/lazySchemas.js';
import { startServer } from '../helpers/testServer.js';

const bodySchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer', default: 1 } },
} as const;
const answerSchema = { 200: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' } } } } as const;

/** One route with a body schema and an answer schema, on Fastify's own (eager) compilers or on lazySchemas. */
async function appWith(lazy: boolean): Promise<FastifyInstance> {
  const schemas = lazySchemas();
  const app = Fastify({ ajv: { customOptions: { coerceTypes: false } }, ...(lazy ? { schemaController: schemas.schemaController } : {}) });
  onTestFinished(() => app.close());
  app.post('/thing', { schema: { body: bodySchema, response: answerSchema } }, async (request) => ({ ...(request.body as object), secret: 'not listed' }));
  await app.ready();
  return app;
}

describe('route schemas compiled at first use', () => {
  it('validate, default and serialize exactly as Fastify’s own compilers do', async () => {
    const eager = await appWith(false);
    const lazy = await appWith(true);
    for (const payload of [{ name: 'Ada' }, { name: 'Ada', count: 3 }, { name: '' }, { count: 2 }, { name: 42 }, 'not json']) {
      const ask = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/thing', payload: payload as object });
      const [a, b] = await Promise.all([ask(eager), ask(lazy)]);
      expect({ status: b.statusCode, body: b.body }, JSON.stringify(payload)).toEqual({ status: a.statusCode, body: a.body });
    }
    const ok = await lazy.inject({ method: 'POST', url: '/thing', payload: { name: 'Ada' } });
    expect(ok.json()).toEqual({ name: 'Ada', count: 1 }); // the default filled in, the unlisted property left out
  });

  it('compileAll compiles what no request has used yet, and throws for a schema that does not compile', async () => {
    const schemas = lazySchemas();
    const app = Fastify({ schemaController: schemas.schemaController });
    onTestFinished(() => app.close());
    app.post('/good', { schema: { body: bodySchema, response: answerSchema } }, async () => ({}));
    app.post('/bad', { schema: { body: { type: 'object', properties: { x: { type: 'no-such-type' } } } } }, async () => ({}));
    await app.ready(); // nothing is compiled yet, so the bad schema does not stop the start
    expect(() => schemas.compileAll()).toThrow();
  });

  it('every route of the app has schemas that compile', async () => {
    const { app } = await startServer();
    expect(app.compileSchemas()).toBeGreaterThan(50);
    expect(app.compileSchemas()).toBe(0);
  });
});
