import path from 'node:path';

/** Everything the server reads from its environment, parsed once at start-up. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Interface to listen on. 127.0.0.1 keeps Tandem private to this machine; 0.0.0.0 shares it on the network. */
  host: string;
  /** Folder holding the SQLite database file (created if missing). */
  dataDir: string;
  /** pino log level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** Folder of the built web app to serve, or null to serve only the API and WebSocket (WEB_ROOT=''). */
  webRoot: string | null;
  /** How long a document stays in memory after its last connection leaves. */
  unloadGraceMs: number;
  /** Compact a document once this many updates are stored after its snapshot. */
  compactAfterUpdates: number;
  /** …or once the updates stored after its snapshot pass this many bytes. */
  compactAfterBytes: number;
  /** Largest WebSocket frame accepted; a larger one closes the connection with 1009. */
  maxFrameBytes: number;
  /** Frames a connection may send while its document is still loading; more closes it with 1008. */
  maxBufferedFrames: number;
  /**
   * SQLite `synchronous` setting. 'normal' (default, with WAL) survives a process crash or kill -9
   * with nothing lost; 'full' also survives a power cut, at the cost of an fsync per group commit.
   */
  sqliteSynchronous: 'normal' | 'full';
}

/** The defaults, for `loadConfig` and for tests that build a config by hand. */
export const defaultConfig: Config = {
  port: 3000,
  host: '127.0.0.1',
  dataDir: 'data',
  logLevel: 'info',
  webRoot: null,
  unloadGraceMs: 30_000,
  compactAfterUpdates: 1_000,
  compactAfterBytes: 1024 * 1024,
  maxFrameBytes: 16 * 1024 * 1024,
  maxBufferedFrames: 1_000,
  sqliteSynchronous: 'normal',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Parses the environment into a Config. Throws an Error naming the variable and the value on
 * anything it cannot use, so a typo stops the server at start-up rather than misbehaving later.
 */
export function loadConfig(env: NodeJS.ProcessEnv, defaultWebRoot: string | null = null): Config {
  const webRoot = env.WEB_ROOT === undefined ? defaultWebRoot : env.WEB_ROOT.trim() === '' ? null : path.resolve(env.WEB_ROOT);
  return {
    port: integer(env, 'PORT', defaultConfig.port, 0, 65535),
    host: env.HOST?.trim() || defaultConfig.host,
    dataDir: path.resolve(env.DATA_DIR?.trim() || defaultConfig.dataDir),
    logLevel: oneOf(env, 'LOG_LEVEL', defaultConfig.logLevel, LOG_LEVELS),
    webRoot,
    unloadGraceMs: integer(env, 'UNLOAD_GRACE_MS', defaultConfig.unloadGraceMs, 0, 24 * 3600_000),
    compactAfterUpdates: integer(env, 'COMPACT_AFTER_UPDATES', defaultConfig.compactAfterUpdates, 1, 10_000_000),
    compactAfterBytes: integer(env, 'COMPACT_AFTER_BYTES', defaultConfig.compactAfterBytes, 1, 2 ** 40),
    maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', defaultConfig.maxFrameBytes, 1024, 2 ** 30),
    maxBufferedFrames: integer(env, 'MAX_BUFFERED_FRAMES', defaultConfig.maxBufferedFrames, 1, 1_000_000),
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', defaultConfig.sqliteSynchronous, ['normal', 'full'] as const),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}
