import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Live figures the metrics read when scraped. */
export interface MetricSources {
  connections(): number;
  rooms(): number;
  /** Writes applied to a document but not yet committed. */
  pendingWrites(): number;
  /** Date.now() of the last successful commit. */
  lastCommitAt(): number;
  /** Open /live sockets. */
  liveConnections(): number;
  /** People with at least one open connection (in the cluster). */
  peopleOnline(): number;
  /** Open documents stored past DOC_WARN_BYTES (close to MAX_DOC_BYTES). */
  largeDocuments(): number;
  /** The largest stored size of an open document, in bytes. */
  largestDocumentBytes(): number;
}

/** The app's Prometheus metrics, in a registry of its own (no process-global state). */
export interface Metrics {
  registry: Registry;
  updatesReceived: Counter;
  updateBytesReceived: Counter;
  framesRelayed: Counter;
  framesRefused: Counter<'reason'>;
  upgradesRefused: Counter<'reason'>;
  commitSeconds: Histogram;
  storageFailures: Counter;
  /** Sign-in and registration attempts by result: ok, wrong_credentials, rate_limited, refused (bad name/password/taken). */
  accountAttempts: Counter<'kind' | 'result'>;
  chatMessages: Counter;
  /** Awareness updates the server rewrote to say who the sender is (see RoomPresence). */
  presenceStamped: Counter;
  /**
   * Adds live figures, read when scraped: each subsystem gives its own (the rooms theirs, /live its
   * sockets) once it exists. A figure nobody gave yet reads 0 (seconds since the last commit: 0).
   */
  observe(sources: Partial<MetricSources>): void;
}

/** Period of the event-loop delay sampler behind the `tandem_process_nodejs_eventloop_lag_*` metrics. */
export const EVENT_LOOP_SAMPLE_MS = 1000;

/** Creates the metrics; live figures come from `observe` (or `sources`, read when scraped). */
export function createMetrics(sources: () => Partial<MetricSources> | null = () => null): Metrics {
  const registry = new Registry();
  // The event-loop delay histogram samples with a timer of this period (prom-client's default, 10 ms,
  // wakes an idle server 100 times a second: most of its idle CPU). Once a second still records any
  // stall that spans a tick, and `..._eventloop_lag_seconds` is measured afresh at each scrape.
  collectDefaultMetrics({ register: registry, prefix: 'tandem_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const observed: Partial<MetricSources> = {};
  const read = (name: keyof MetricSources, fallback: number): number => {
    const source = observed[name] ?? sources()?.[name];
    return source ? source() : fallback;
  };
  new Gauge({
    name: 'tandem_connections',
    help: 'Open collaboration WebSocket connections',
    registers: [registry],
    collect() {
      this.set(read('connections', 0));
    },
  });
  new Gauge({
    name: 'tandem_large_documents',
    help: 'Open documents stored past DOC_WARN_BYTES (MAX_DOC_BYTES refuses updates beyond it)',
    registers: [registry],
    collect() {
      this.set(read('largeDocuments', 0));
    },
  });
  new Gauge({
    name: 'tandem_largest_document_bytes',
    help: 'Stored size of the largest open document',
    registers: [registry],
    collect() {
      this.set(read('largestDocumentBytes', 0));
    },
  });
  new Gauge({
    name: 'tandem_rooms',
    help: 'Documents held in memory',
    registers: [registry],
    collect() {
      this.set(read('rooms', 0));
    },
  });
  new Gauge({
    name: 'tandem_pending_writes',
    help: 'Updates applied but not yet committed to storage',
    registers: [registry],
    collect() {
      this.set(read('pendingWrites', 0));
    },
  });
  new Gauge({
    name: 'tandem_live_connections',
    help: 'Open /live WebSockets (one per signed-in window)',
    registers: [registry],
    collect() {
      this.set(read('liveConnections', 0));
    },
  });
  new Gauge({
    name: 'tandem_people_online',
    help: 'People with at least one open connection',
    registers: [registry],
    collect() {
      this.set(read('peopleOnline', 0));
    },
  });
  new Gauge({
    name: 'tandem_seconds_since_last_commit',
    help: 'Seconds since the last successful group commit (or start-up)',
    registers: [registry],
    collect() {
      this.set((Date.now() - read('lastCommitAt', Date.now())) / 1000);
    },
  });
  return {
    registry,
    observe: (part) => Object.assign(observed, part),
    accountAttempts: new Counter({
      name: 'tandem_account_attempts_total',
      help: 'Sign-in (kind=sign_in) and registration (kind=register) attempts by result',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    chatMessages: new Counter({
      name: 'tandem_chat_messages_total',
      help: 'Chat messages stored',
      registers: [registry],
    }),
    presenceStamped: new Counter({
      name: 'tandem_presence_stamped_total',
      help: "Awareness updates rewritten to carry the sender's account (or guest mark) because the client sent another",
      registers: [registry],
    }),
    updatesReceived: new Counter({
      name: 'tandem_updates_received_total',
      help: 'Update-bearing frames (sync step2 or update) received from clients',
      registers: [registry],
    }),
    updateBytesReceived: new Counter({
      name: 'tandem_update_bytes_received_total',
      help: 'Bytes of update-bearing frames received from clients',
      registers: [registry],
    }),
    framesRelayed: new Counter({
      name: 'tandem_frames_relayed_total',
      help: 'Frames sent to other connections (updates and awareness)',
      registers: [registry],
    }),
    framesRefused: new Counter({
      name: 'tandem_frames_refused_total',
      help: 'Connections closed for what they sent, by reason (close code name)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    upgradesRefused: new Counter({
      name: 'tandem_upgrades_refused_total',
      help: 'WebSocket upgrades refused before they completed, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'tandem_commit_duration_seconds',
      help: 'Time to commit one group of updates to storage',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    storageFailures: new Counter({
      name: 'tandem_storage_failures_total',
      help: 'Group commits storage refused (the writes were kept and retried)',
      registers: [registry],
    }),
  };
}
