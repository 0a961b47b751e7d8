import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Sessions } from '../auth/sessions.js';
import type { AccountsConfig } from '../config.js';
import { AccessJournal } from './accessJournal.js';
import { DocAccess } from './docAccess.js';
import { Notifications } from './notifications.js';
import { OnlineTracker } from './onlineTracker.js';
import { PeopleEvents } from './peopleEvents.js';

/** The people services: who is signed in, who may open what, who is online, what they were told. */
export interface People {
  events: PeopleEvents;
  sessions: Sessions;
  journal: AccessJournal;
  access: DocAccess;
  notifications: Notifications;
  online: OnlineTracker;
}

declare module 'fastify' {
  interface FastifyInstance {
    people: People;
  }
  interface FastifyRequest {
    /** AccessJournal's mark taken when a WebSocket upgrade request arrived (0 otherwise). */
    accessMark: number;
  }
}

/** Expired sessions are deleted this often. */
const SESSION_SWEEP_MS = 3600_000;

/**
 * Builds the people services on the account store and, in cluster mode, relays their events
 * through the bus both ways (an access change in one process reaches the sockets of all). Takes the
 * access journal's mark on every upgrade request; registered before authentication, so an access
 * change after the mark reaches a WebSocket still being opened. Sessions are swept hourly and the
 * sessions of open connections kept alive; both timers and the presence snapshots stop in `onClose`.
 */
async function peoplePlugin(app: FastifyInstance, { config }: { config: Pick<AccountsConfig, 'sessionIdleMs'> }): Promise<void> {
  const accounts = app.accountStore;
  const bus = app.clusterBus;
  const events = new PeopleEvents();
  const sessions = new Sessions(accounts, events, config.sessionIdleMs);
  const notifications = new Notifications(accounts, events);
  const access = new DocAccess(accounts, events, notifications);
  const journal = new AccessJournal(events);
  if (bus) {
    bus.on('people', (_processId, json) => {
      if (!events.receiveRemote(json)) app.log.warn('ignored a malformed people event from the cluster');
    });
    events.relayTo((json) => bus.publishPeople(json));
  }
  const online = new OnlineTracker(accounts, app.log, events, bus?.processId ?? null);
  bus?.on('processGone', (processId) => online.forgetProcess(processId));
  app.decorate('people', { events, sessions, journal, access, notifications, online });
  app.metrics.observe({ peopleOnline: () => online.onlineCount });

  app.decorateRequest('accessMark', 0);
  app.addHook('onRequest', async (request) => {
    if (request.headers.upgrade !== undefined || request.routeOptions.config.opensConnection === true) request.accessMark = journal.mark();
  });

  const sessionSweep = setInterval(() => {
    sessions.sweep().catch((error: unknown) => app.log.warn({ err: error }, 'could not delete expired sessions'));
  }, SESSION_SWEEP_MS);
  sessionSweep.unref();
  const keepAlive = setInterval(() => {
    sessions.keepOpenSessionsAlive().catch((error: unknown) => app.log.warn({ err: error }, 'could not extend the sessions of open connections'));
  }, Math.min(60_000, config.sessionIdleMs / 4));
  keepAlive.unref();
  app.addHook('onClose', async () => {
    clearInterval(sessionSweep);
    clearInterval(keepAlive);
    online.stop();
  });
}

export default fp(peoplePlugin, { name: 'tandem-people', fastify: '5.x', dependencies: ['tandem-storage', 'tandem-metrics', 'tandem-cluster'] });
