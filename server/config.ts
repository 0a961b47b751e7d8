import net from 'node:net';
import path from 'node:path';

/** Everything the server reads from its environment, parsed once at start-up. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Interface to listen on. 127.0.0.1 keeps Tandem private to this machine; 0.0.0.0 shares it on the network. */
  host: string;
  /** Folder holding the SQLite database file (created if missing); unused when `databaseUrl` is set. */
  dataDir: string;
  /**
   * postgres:// or postgresql:// URL of the PostgreSQL database to store documents in, for several
   * Tandem processes sharing one store; null (DATABASE_URL unset) keeps the embedded SQLite store.
   */
  databaseUrl: string | null;
  /**
   * redis:// URL: cluster mode. Several Tandem processes (on a shared PostgreSQL store) carry updates
   * and presence to each other through Redis; null (REDIS_URL unset) runs this process alone.
   */
  redisUrl: string | null;
  /** Cluster mode: how often each open document reads what other processes stored (the repair). */
  clusterRepairIntervalMs: number;
  /** pino log level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /**
   * Whether `/collab/<id>` opens a document that does not exist yet (creating it: no owner, anyone with
   * the link can edit), as a plain y-websocket server does. Off by default: documents are made by
   * signed-in people (POST /api/docs, import), and a connection to an unknown id is closed with 4406.
   */
  openDocuments: boolean;
  /** Folder of the built web app to serve, or null to serve only the API and WebSocket (WEB_ROOT=''). */
  webRoot: string | null;
  /** How long a document stays in memory after its last connection leaves. */
  unloadGraceMs: number;
  /** Compact a document once this many updates are stored after its snapshot. */
  compactAfterUpdates: number;
  /** …or once the updates stored after its snapshot pass this many bytes. */
  compactAfterBytes: number;
  /** History: an automatic version is made once a document had no change for this long… */
  versionIdleMs: number;
  /** …and at least this often while editing goes on. */
  versionMaxSpanMs: number;
  /** History retention: every automatic version younger than this is kept… */
  versionKeepAllMs: number;
  /** …then one an hour until this age, then one a day (named versions are kept for ever). */
  versionKeepHourlyMs: number;
  /**
   * A version gets a checkpoint (its state, stored) once the log since the nearest earlier checkpoint
   * passes this many bytes and that checkpoint's own size: opening a version replays at most that much.
   */
  versionCheckpointBytes: number;
  /**
   * Version reads (open, compare, restore) replaying the log on the history thread at once, each
   * holding its log in memory; one more is refused with 503 `busy` (Retry-After) instead of queueing.
   */
  historyReadsInFlight: number;
  /** Largest WebSocket frame accepted; a larger one closes the connection with 1009. */
  maxFrameBytes: number;
  /** Frames a connection may send while its document is still loading; more closes it with 1008. */
  maxBufferedFrames: number;
  /** How long an update may wait for the changes it depends on before its connection is refused (4422). */
  pendingUpdateTimeoutMs: number;
  /** Largest stored size of one document; an update that would pass it is refused with 4413. */
  maxDocBytes: number;
  /** Uncommitted bytes a document may hold while storage refuses writes; past it, 4503. */
  maxUnsavedBytes: number;
  /** Bytes waiting to be sent to one client past which it is dropped as not reading. */
  maxSendBufferBytes: number;
  /** Per connection: update frames per second, and the burst allowed above that (then 4429). */
  updatesPerSecond: number;
  updateBurst: number;
  /** Per connection: awareness and other frames per second, and the burst (then 4429). */
  awarenessPerSecond: number;
  awarenessBurst: number;
  /** Per client IP: new WebSocket connections per second, and the burst (then HTTP 429). */
  connectionsPerSecondPerIp: number;
  connectionBurstPerIp: number;
  /** The server pings every connection this often… */
  heartbeatIntervalMs: number;
  /** …and drops one that has shown no sign of life for this long. */
  heartbeatTimeoutMs: number;
  /**
   * Origins (scheme://host[:port]) whose pages may open collaboration WebSockets. Empty: the
   * server's own origin only. Requests without an Origin header (non-browser clients) are allowed.
   */
  allowedOrigins: string[];
  /**
   * SQLite `synchronous` setting. 'normal' (default, with WAL) survives a process crash or kill -9
   * with nothing lost; 'full' also survives a power cut, at the cost of an fsync per group commit.
   */
  sqliteSynchronous: 'normal' | 'full';
  /**
   * Which reverse proxies' X-Forwarded-For/-Proto to believe (TLS terminated there: Secure cookies, real
   * client addresses for the per-address limits). false: none, the peer's address is the client's. A
   * number N: the last N hops are proxies, whoever they are (so Tandem must be reachable only through
   * them), and the client is the address the outermost one saw. A list of IPs/CIDRs (or proxy-addr's
   * names loopback, linklocal, uniquelocal): hops from those addresses are proxies. Never "trust all":
   * then a client picks its own address by sending X-Forwarded-For. See `fastifyTrustProxy`.
   */
  trustProxy: false | number | string[];
  /** scrypt cost of new password hashes, as log2 N (OWASP's 17 by default; lower only to speed up tests). */
  passwordHashCost: number;
  /** A session ends after this long unused (each use extends it). */
  sessionIdleMs: number;
  /** Sign-in and registration attempts per client IP per minute, and per name per minute (then HTTP 429). */
  loginAttemptsPerMinutePerIp: number;
  loginAttemptsPerMinutePerName: number;
  /** Chat messages one user may post per second, and the burst above that (then refused as rate_limited). */
  chatMessagesPerSecond: number;
  chatBurst: number;
  /**
   * Host names (the Host header, any port, lower case) the server answers to besides the ones it
   * always accepts: IP addresses, `localhost` and `*.localhost`, and the hosts of `allowedOrigins`.
   * Any other name is refused with 421 (DNS rebinding: a page of another site whose name was
   * pointed at this server). `'*'` (ALLOWED_HOSTS=*) turns the check off.
   */
  allowedHosts: string[] | '*';
  /**
   * Bearer token that `GET /metrics` requires (`Authorization: Bearer <token>`); null (METRICS_TOKEN
   * unset) keeps /metrics closed (403).
   */
  metricsToken: string | null;
  /**
   * WebSocket messages of at least this many bytes are compressed (permessage-deflate, when the
   * client offers it); smaller ones — keystrokes, cursors — never. 0 turns compression off.
   */
  compressAboveBytes: number;
  /** Compressions and decompressions (zlib) running at once for all sockets; the rest wait their turn. */
  compressionConcurrency: number;
  /** Worker threads for compaction, export and import of big documents. */
  docWorkerThreads: number;
  /** A document stored at least this large is compacted, exported and imported on a worker thread. */
  workerAboveBytes: number;
  /** A document stored past this size is reported in /metrics and shown to its owner as large. */
  docWarnBytes: number;
  /**
   * Exports and imports running at once (each holds a whole document in memory, a big one waiting for
   * a worker thread); one more is refused with 503 `busy` (Retry-After) instead of queueing.
   */
  exportsInFlight: number;
}

/**
 * Which settings each subsystem reads. A subsystem is built from its slice (`configSlice`), never
 * from the whole Config, so what it depends on is written down here. A setting two subsystems
 * read (the Origin list, the send buffer) is in both slices; every setting is in at least one
 * (tests/unit/config.test.ts checks).
 */
export const CONFIG_SLICES = {
  /** The HTTP server itself: where it listens, its log, proxies, hosts and origins, /metrics, the web app. */
  server: ['port', 'host', 'logLevel', 'trustProxy', 'allowedHosts', 'allowedOrigins', 'metricsToken', 'webRoot'],
  /** Where documents and accounts are stored. */
  storage: ['dataDir', 'databaseUrl', 'sqliteSynchronous'],
  /** Cluster mode (Redis bus). */
  cluster: ['redisUrl'],
  /** Open documents in memory: unloading, compaction, size and write limits, the cluster repair. */
  rooms: ['unloadGraceMs', 'compactAfterUpdates', 'compactAfterBytes', 'maxDocBytes', 'maxUnsavedBytes', 'pendingUpdateTimeoutMs', 'clusterRepairIntervalMs'],
  /** What guards every WebSocket endpoint (/collab and /live): Origin, new connections per IP, heartbeat. */
  sockets: ['allowedOrigins', 'connectionsPerSecondPerIp', 'connectionBurstPerIp', 'heartbeatIntervalMs', 'heartbeatTimeoutMs'],
  /** The /collab endpoint and its connections. */
  collab: ['openDocuments', 'maxFrameBytes', 'maxBufferedFrames', 'maxSendBufferBytes', 'maxDocBytes', 'updatesPerSecond', 'updateBurst', 'awarenessPerSecond', 'awarenessBurst', 'compressAboveBytes'],
  /** Big documents: the worker threads, and what counts as big. */
  bigDocs: ['docWorkerThreads', 'workerAboveBytes', 'docWarnBytes', 'maxDocBytes', 'exportsInFlight'],
  /** The one WebSocket registration: frame limit, compression. */
  websocket: ['maxFrameBytes', 'compressAboveBytes', 'compressionConcurrency'],
  /** The /live endpoint and chat. */
  live: ['maxSendBufferBytes', 'chatMessagesPerSecond', 'chatBurst'],
  /** Version history: when automatic versions are made, and how long they are kept. */
  history: ['versionIdleMs', 'versionMaxSpanMs', 'versionKeepAllMs', 'versionKeepHourlyMs', 'versionCheckpointBytes', 'historyReadsInFlight'],
  /** Accounts and sessions: password hashing, session lifetime, sign-in attempt limits. */
  accounts: ['passwordHashCost', 'sessionIdleMs', 'loginAttemptsPerMinutePerIp', 'loginAttemptsPerMinutePerName'],
} as const satisfies Record<string, readonly (keyof Config)[]>;

export type ConfigSliceName = keyof typeof CONFIG_SLICES;
/** The settings of one subsystem (see CONFIG_SLICES). */
export type ConfigSlice<N extends ConfigSliceName> = Pick<Config, (typeof CONFIG_SLICES)[N][number]>;
export type ServerConfig = ConfigSlice<'server'>;
export type StorageConfig = ConfigSlice<'storage'>;
export type ClusterConfig = ConfigSlice<'cluster'>;
export type RoomsConfig = ConfigSlice<'rooms'>;
export type SocketGuardConfig = ConfigSlice<'sockets'>;
export type CollabConfig = ConfigSlice<'collab'>;
export type LiveConfig = ConfigSlice<'live'>;
export type BigDocsConfig = ConfigSlice<'bigDocs'>;
export type WebsocketConfig = ConfigSlice<'websocket'>;
export type AccountsConfig = ConfigSlice<'accounts'>;
export type HistoryConfig = ConfigSlice<'history'>;

/** A copy of the settings of slice `name`, and nothing else. */
export function configSlice<N extends ConfigSliceName>(config: Config, name: N): ConfigSlice<N> {
  const keys: readonly (keyof Config)[] = CONFIG_SLICES[name];
  return Object.fromEntries(keys.map((key) => [key, config[key]])) as ConfigSlice<N>;
}

/** The defaults, for `loadConfig` and for tests that build a config by hand. */
export const defaultConfig: Config = {
  port: 3000,
  host: '127.0.0.1',
  dataDir: 'data',
  databaseUrl: null,
  redisUrl: null,
  clusterRepairIntervalMs: 1_000,
  logLevel: 'info',
  webRoot: null,
  unloadGraceMs: 30_000,
  compactAfterUpdates: 1_000,
  compactAfterBytes: 1024 * 1024,
  versionIdleMs: 5 * 60_000,
  versionMaxSpanMs: 30 * 60_000,
  versionKeepAllMs: 24 * 3600_000,
  versionKeepHourlyMs: 30 * 24 * 3600_000,
  versionCheckpointBytes: 256 * 1024,
  historyReadsInFlight: 4,
  maxFrameBytes: 16 * 1024 * 1024,
  maxBufferedFrames: 1_000,
  pendingUpdateTimeoutMs: 10_000,
  maxDocBytes: 64 * 1024 * 1024,
  maxUnsavedBytes: 64 * 1024 * 1024,
  maxSendBufferBytes: 32 * 1024 * 1024,
  updatesPerSecond: 200,
  updateBurst: 2_000,
  awarenessPerSecond: 100,
  awarenessBurst: 1_000,
  connectionsPerSecondPerIp: 50,
  connectionBurstPerIp: 1_000,
  heartbeatIntervalMs: 30_000,
  heartbeatTimeoutMs: 60_000,
  allowedOrigins: [],
  sqliteSynchronous: 'normal',
  trustProxy: false,
  passwordHashCost: 17,
  sessionIdleMs: 30 * 24 * 3600_000,
  loginAttemptsPerMinutePerIp: 30,
  loginAttemptsPerMinutePerName: 10,
  chatMessagesPerSecond: 2,
  chatBurst: 10,
  openDocuments: false,
  allowedHosts: [],
  metricsToken: null,
  compressAboveBytes: 16 * 1024,
  compressionConcurrency: 2,
  docWorkerThreads: 1,
  workerAboveBytes: 1024 * 1024,
  exportsInFlight: 4,
  docWarnBytes: 48 * 1024 * 1024,
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
    databaseUrl: databaseUrl(env.DATABASE_URL),
    redisUrl: redisUrl(env.REDIS_URL),
    clusterRepairIntervalMs: integer(env, 'CLUSTER_REPAIR_INTERVAL_MS', defaultConfig.clusterRepairIntervalMs, 10, 600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', defaultConfig.logLevel, LOG_LEVELS),
    webRoot,
    unloadGraceMs: integer(env, 'UNLOAD_GRACE_MS', defaultConfig.unloadGraceMs, 0, 24 * 3600_000),
    compactAfterUpdates: integer(env, 'COMPACT_AFTER_UPDATES', defaultConfig.compactAfterUpdates, 1, 10_000_000),
    compactAfterBytes: integer(env, 'COMPACT_AFTER_BYTES', defaultConfig.compactAfterBytes, 1, 2 ** 40),
    versionIdleMs: integer(env, 'VERSION_IDLE_MS', defaultConfig.versionIdleMs, 10, 24 * 3600_000),
    versionMaxSpanMs: integer(env, 'VERSION_MAX_SPAN_MS', defaultConfig.versionMaxSpanMs, 10, 7 * 24 * 3600_000),
    versionKeepAllMs: integer(env, 'VERSION_KEEP_ALL_MS', defaultConfig.versionKeepAllMs, 0, 3650 * 24 * 3600_000),
    versionKeepHourlyMs: integer(env, 'VERSION_KEEP_HOURLY_MS', defaultConfig.versionKeepHourlyMs, 0, 3650 * 24 * 3600_000),
    versionCheckpointBytes: integer(env, 'VERSION_CHECKPOINT_BYTES', defaultConfig.versionCheckpointBytes, 0, 2 ** 40),
    historyReadsInFlight: integer(env, 'HISTORY_READS_IN_FLIGHT', defaultConfig.historyReadsInFlight, 1, 64),
    maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', defaultConfig.maxFrameBytes, 1024, 2 ** 30),
    maxBufferedFrames: integer(env, 'MAX_BUFFERED_FRAMES', defaultConfig.maxBufferedFrames, 1, 1_000_000),
    pendingUpdateTimeoutMs: integer(env, 'PENDING_UPDATE_TIMEOUT_MS', defaultConfig.pendingUpdateTimeoutMs, 10, 600_000),
    maxDocBytes: integer(env, 'MAX_DOC_BYTES', defaultConfig.maxDocBytes, 1024, 2 ** 40),
    maxUnsavedBytes: integer(env, 'MAX_UNSAVED_BYTES', defaultConfig.maxUnsavedBytes, 1024, 2 ** 40),
    maxSendBufferBytes: integer(env, 'MAX_SEND_BUFFER_BYTES', defaultConfig.maxSendBufferBytes, 1024, 2 ** 40),
    updatesPerSecond: integer(env, 'UPDATES_PER_SECOND', defaultConfig.updatesPerSecond, 1, 1_000_000),
    updateBurst: integer(env, 'UPDATE_BURST', defaultConfig.updateBurst, 1, 10_000_000),
    awarenessPerSecond: integer(env, 'AWARENESS_PER_SECOND', defaultConfig.awarenessPerSecond, 1, 1_000_000),
    awarenessBurst: integer(env, 'AWARENESS_BURST', defaultConfig.awarenessBurst, 1, 10_000_000),
    connectionsPerSecondPerIp: integer(env, 'CONNECTIONS_PER_SECOND_PER_IP', defaultConfig.connectionsPerSecondPerIp, 1, 1_000_000),
    connectionBurstPerIp: integer(env, 'CONNECTION_BURST_PER_IP', defaultConfig.connectionBurstPerIp, 1, 10_000_000),
    heartbeatIntervalMs: integer(env, 'HEARTBEAT_INTERVAL_MS', defaultConfig.heartbeatIntervalMs, 10, 3600_000),
    heartbeatTimeoutMs: integer(env, 'HEARTBEAT_TIMEOUT_MS', defaultConfig.heartbeatTimeoutMs, 10, 3600_000),
    allowedOrigins: originList(env.ALLOWED_ORIGINS),
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', defaultConfig.sqliteSynchronous, ['normal', 'full'] as const),
    trustProxy: trustProxy(env.TRUST_PROXY),
    passwordHashCost: integer(env, 'PASSWORD_HASH_COST', defaultConfig.passwordHashCost, 12, 20),
    sessionIdleMs: integer(env, 'SESSION_IDLE_MS', defaultConfig.sessionIdleMs, 60_000, 365 * 24 * 3600_000),
    loginAttemptsPerMinutePerIp: integer(env, 'LOGIN_ATTEMPTS_PER_MINUTE_PER_IP', defaultConfig.loginAttemptsPerMinutePerIp, 1, 100_000),
    loginAttemptsPerMinutePerName: integer(env, 'LOGIN_ATTEMPTS_PER_MINUTE_PER_NAME', defaultConfig.loginAttemptsPerMinutePerName, 1, 100_000),
    chatMessagesPerSecond: integer(env, 'CHAT_MESSAGES_PER_SECOND', defaultConfig.chatMessagesPerSecond, 1, 10_000),
    chatBurst: integer(env, 'CHAT_BURST', defaultConfig.chatBurst, 1, 100_000),
    openDocuments: flag(env, 'OPEN_DOCUMENTS', defaultConfig.openDocuments),
    allowedHosts: hostList(env.ALLOWED_HOSTS),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    compressAboveBytes: integer(env, 'COMPRESS_ABOVE_BYTES', defaultConfig.compressAboveBytes, 0, 2 ** 30),
    compressionConcurrency: integer(env, 'COMPRESSION_CONCURRENCY', defaultConfig.compressionConcurrency, 1, 1024),
    docWorkerThreads: integer(env, 'DOC_WORKER_THREADS', defaultConfig.docWorkerThreads, 1, 64),
    workerAboveBytes: integer(env, 'WORKER_ABOVE_BYTES', defaultConfig.workerAboveBytes, 0, 2 ** 40),
    exportsInFlight: integer(env, 'EXPORTS_IN_FLIGHT', defaultConfig.exportsInFlight, 1, 256),
    docWarnBytes: integer(env, 'DOC_WARN_BYTES', defaultConfig.docWarnBytes, 1024, 2 ** 40),
  };
}

/** A host name as it may appear in a Host header: letters, digits, "-", "_" and dots (IDNs as punycode). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;

/** Parses ALLOWED_HOSTS: unset or empty → []; `*` → '*' (no check); else comma-separated host names without ports. */
function hostList(raw: string | undefined): Config['allowedHosts'] {
  const value = raw?.trim() ?? '';
  if (value === '') return [];
  if (value === '*') return '*';
  return value.split(',').map((item) => {
    const host = item.trim().toLowerCase();
    if (!HOST_NAME.test(host)) {
      throw new Error(`ALLOWED_HOSTS must be * or comma-separated host names without scheme or port (like docs.example.com,mybox.local), got ${JSON.stringify(item.trim())}`);
    }
    return host.replace(/\.$/, '');
  });
}

/** Shortest METRICS_TOKEN accepted: a guessable token would leave /metrics open. */
export const MIN_METRICS_TOKEN_CHARS = 16;

/** Parses METRICS_TOKEN: unset or empty → null (/metrics closed); else at least 16 visible ASCII characters. */
function metricsToken(raw: string | undefined): string | null {
  const token = raw?.trim() ?? '';
  if (token === '') return null;
  // Never echo the token itself.
  if (token.length < MIN_METRICS_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new Error(`METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_CHARS} visible ASCII characters without spaces (e.g. from "openssl rand -hex 32"), got one of ${token.length} characters`);
  }
  return token;
}

/** A yes/no variable: true/1/yes or false/0/no (any case); unset or empty is the default. */
function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

/** Checks DATABASE_URL names PostgreSQL; unset or empty is null (the SQLite store). */
function databaseUrl(raw: string | undefined): string | null {
  const url = raw?.trim();
  if (url === undefined || url === '') return null;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    // The value may carry a password: name only its scheme.
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql://, got one starting ${JSON.stringify(url.split(':')[0] + ':')}`);
  }
  return url;
}

/** Checks REDIS_URL names Redis; unset or empty is null (no cluster). */
function redisUrl(raw: string | undefined): string | null {
  const url = raw?.trim();
  if (url === undefined || url === '') return null;
  if (!/^rediss?:\/\//i.test(url)) {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got one starting ${JSON.stringify(url.split(':')[0] + ':')}`);
  }
  return url;
}

const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const MAX_PROXY_HOPS = 20;

/**
 * Parses TRUST_PROXY: unset, empty, false or 0 → false; true → 1 (one reverse proxy in front, the
 * usual set-up); a positive integer → that many hops; else a comma-separated list of IPs and CIDRs.
 */
function trustProxy(raw: string | undefined): Config['trustProxy'] {
  const value = raw?.trim() ?? '';
  if (value === '' || /^(false|0)$/i.test(value)) return false;
  if (/^true$/i.test(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) {
      throw new Error(`TRUST_PROXY must be false, true, a hop count from 1 to ${MAX_PROXY_HOPS} or a list of proxy addresses, got ${JSON.stringify(value)}`);
    }
    return hops === 0 ? false : hops;
  }
  return value.split(',').map((item) => {
    const entry = item.trim();
    if (isProxyAddress(entry)) return entry.toLowerCase();
    throw new Error(
      `TRUST_PROXY must be false, true, a hop count or a comma-separated list of proxy IPs/CIDRs (like 127.0.0.1,10.0.0.0/8), got ${JSON.stringify(entry)} in ${JSON.stringify(value)}`,
    );
  });
}

/** Whether `entry` is an IP address, a CIDR (address/prefix length) or one of proxy-addr's range names. */
function isProxyAddress(entry: string): boolean {
  if (TRUST_PROXY_NAMES.includes(entry.toLowerCase())) return true;
  const slash = entry.indexOf('/');
  const family = net.isIP(slash === -1 ? entry : entry.slice(0, slash));
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = entry.slice(slash + 1);
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/**
 * `Config.trustProxy` as Fastify's `trustProxy` option. A list goes as it is. A hop count becomes a
 * function: Fastify 5.12 treats a plain number as "trust nothing" (it cannot check the peer's
 * address), which would put every client behind the proxy in one rate-limit bucket.
 */
export function fastifyTrustProxy(trust: Config['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  if (trust < 1) return false;
  return (_address, hop) => hop < trust;
}

/** Parses a comma-separated list of origins; throws on one that is not scheme://host[:port]. */
function originList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const origin = item.trim();
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new Error(`ALLOWED_ORIGINS entries must be origins like https://docs.example.com, got ${JSON.stringify(origin)}`);
    }
    if (parsed.origin !== origin.replace(/\/$/, '')) {
      throw new Error(`ALLOWED_ORIGINS entries must be bare origins (no path), got ${JSON.stringify(origin)}`);
    }
    return parsed.origin;
  });
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
