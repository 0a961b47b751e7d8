import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ChatService } from '../chat/chatService.js';
import { CommentService } from '../comments/commentService.js';
import type { LiveConfig } from '../config.js';
import { LiveHub } from './liveHub.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The /live sockets' hub, chat (shared by /live and the REST API), and comments (REST, told over /live). */
    live: { hub: LiveHub; chat: ChatService; comments: CommentService };
  }
}

/**
 * What is about people rather than documents and outlives a single socket: the hub of /live
 * sockets (it pushes people events to each person's windows), chat and comments. The /live endpoint itself is
 * registered with the other WebSocket endpoint (see liveRoute); the REST routes for chat, people and
 * notifications at the root. The hub stops listening to people events in `onClose`.
 */
async function livePlugin(app: FastifyInstance, { config }: { config: Pick<LiveConfig, 'chatMessagesPerSecond' | 'chatBurst'> }): Promise<void> {
  const { events, online, access, notifications } = app.people;
  const hub = new LiveHub({ accounts: app.accountStore, events, online, log: app.log });
  // What chat and comments both stand on: people, access, the hub that tells windows, documents' titles.
  const common = { accounts: app.accountStore, access, notifications, live: hub, registry: app.rooms, store: app.docStore, log: app.log };
  const chat = new ChatService({ ...common, metrics: app.metrics, messagesPerSecond: config.chatMessagesPerSecond, burst: config.chatBurst });
  // Comment writes are limited like chat messages (CHAT_MESSAGES_PER_SECOND, CHAT_BURST), in buckets of their own.
  const comments = new CommentService({ ...common, writesPerSecond: config.chatMessagesPerSecond, burst: config.chatBurst });
  app.decorate('live', { hub, chat, comments });
  app.metrics.observe({ liveConnections: () => hub.connectionCount });
  app.addHook('onClose', async () => hub.dispose());
}

export default fp(livePlugin, { name: 'tandem-live', fastify: '5.x', dependencies: ['tandem-storage', 'tandem-metrics', 'tandem-people', 'tandem-rooms'] });
