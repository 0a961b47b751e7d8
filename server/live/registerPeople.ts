import type { FastifyInstance } from 'fastify';
import type { AppParts } from '../app.js';
import { chatRoutes } from '../api/chatRoutes.js';
import { notificationRoutes } from '../api/notificationRoutes.js';
import { peopleRoutes } from '../api/peopleRoutes.js';
import { ChatService } from '../chat/chatService.js';
import type { Config } from '../config.js';
import { LiveHub } from './liveHub.js';
import { liveRoute } from './liveRoute.js';

/**
 * Registers what is about people rather than documents: the /live socket (its hub), chat
 * (ChatService, shared by /live and REST), and the people and notifications API. Call after
 * installAuth and after the /collab route (whose @fastify/websocket dispatches upgrades).
 */
export async function registerPeople(app: FastifyInstance, parts: AppParts, config: Config): Promise<{ live: LiveHub; chat: ChatService }> {
  const { accounts, events, online, access, notifications, registry, store, metrics, journal, sessions } = parts;
  const live = new LiveHub({ accounts, events, online, log: app.log });
  const chat = new ChatService({
    accounts,
    access,
    notifications,
    live,
    registry,
    store,
    log: app.log,
    metrics,
    messagesPerSecond: config.chatMessagesPerSecond,
    burst: config.chatBurst,
  });
  await app.register(liveRoute, {
    hub: live,
    journal,
    sessions,
    chat,
    accounts,
    allowedOrigins: config.allowedOrigins,
    connectionsPerSecondPerIp: config.connectionsPerSecondPerIp,
    connectionBurstPerIp: config.connectionBurstPerIp,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    maxSendBufferBytes: config.maxSendBufferBytes,
  });
  await app.register(chatRoutes, { chat });
  await app.register(peopleRoutes, { accounts, online });
  await app.register(notificationRoutes, { accounts });
  return { live, chat };
}
