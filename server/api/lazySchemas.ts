import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// Fastify compiles every route's JSON schemas when the app starts: an Ajv validator per request
// part and a fast-json-stringify serializer per answer status, generated as JavaScript code. With
// Tandem's ~100 routes that is most of what start-up leaves on the heap (Ajv alone is ~90 modules),
// for routes most of which a process may never serve. Here each schema is compiled the first time
// its route is used, with the compilers Fastify would have used (loaded then, too); `compileAll`
// compiles whatever is still waiting (a test runs it, so a schema that does not compile fails there
// and not at some user's first request).

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<CompilersFactory['buildValidator']>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;

const require = createRequire(import.meta.url);

/** An Ajv validate function as Fastify calls it: the data, and where it sits (so Ajv may replace a root value). */
interface Validate {
  (data: unknown, where?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

export interface LazySchemas {
  /** For Fastify's `schemaController` option. */
  schemaController: NonNullable<FastifyServerOptions['schemaController']>;
  /** Compiles every schema not compiled yet; returns how many it compiled. Throws as Fastify's start would. */
  compileAll(): number;
}

export function lazySchemas(): LazySchemas {
  const waiting = new Set<() => void>();
  let validatorFactory: BuildValidator | null = null;
  let serializerFactory: BuildSerializer | null = null;

  /** Defers `compile` to the first call of what it makes; `waiting` holds it until then. */
  function deferred<T>(compile: () => T): () => T {
    let made: T | undefined;
    const make = (): T => {
      if (made === undefined) {
        made = compile();
        waiting.delete(make);
      }
      return made;
    };
    waiting.add(make);
    return make;
  }

  const buildValidator = ((externalSchemas: unknown, ajvOptions: unknown) => {
    const compiler = deferred(() => {
      validatorFactory ??= (require('@fastify/ajv-compiler') as () => BuildValidator)();
      return (validatorFactory as (schemas: unknown, options: unknown) => (route: unknown) => Validate)(externalSchemas, ajvOptions);
    });
    return (route: unknown) => {
      const validator = deferred(() => compiler()(route));
      const validate: Validate = (data, where) => {
        const real = validator();
        const result = real.schemaEnv ? real(data, where) : real(data);
        validate.errors = real.errors;
        return result;
      };
      // Fastify passes where the data sits only to functions that have a schemaEnv (Ajv's do).
      validate.schemaEnv = true;
      return validate;
    };
  }) as unknown as BuildValidator;

  const buildSerializer = ((externalSchemas: unknown, options: unknown) => {
    const compiler = deferred(() => {
      serializerFactory ??= (require('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)();
      return (serializerFactory as (schemas: unknown, options: unknown) => (route: unknown) => (data: unknown) => string)(externalSchemas, options);
    });
    return (route: unknown) => {
      const serializer = deferred(() => compiler()(route));
      return (data: unknown) => serializer()(data);
    };
  }) as unknown as BuildSerializer;

  return {
    schemaController: { compilersFactory: { buildValidator, buildSerializer } },
    compileAll() {
      let count = 0;
      // Compiling a route's schema first compiles its compiler, which leaves `waiting` too.
      for (const make of [...waiting]) {
        if (!waiting.has(make)) continue;
        make();
        count++;
      }
      return count;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles every route schema not compiled yet (see lazySchemas); returns how many. */
    compileSchemas(): number;
  }
}
