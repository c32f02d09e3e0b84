/**
 * Live events for the app: the one `LiveEngine` (data/live-engine.ts) over the browser's
 * WebSocket to `/v1/ws` (`wss:` under https; the token goes in the first message, never in the
 * URL), started and stopped with the session by main.tsx. Consumers: `onChatEvent` (each chat's events in
 * `index` order, each once), `onTyping`, `sendTyping`, `liveStatus`, and `onLiveMessage` for
 * any other message the server sends (sync hints).
 */
import type { ReadonlySignal } from '@preact/signals';
import { api, tokens, type Chat, type ChatEvent, type EventsPage } from '../api';
import { allPages } from './pages';
import { LiveEngine, type LiveStatus, type ServerMessage, type SocketLike, type TypingSignal } from './live-engine';

export type { LiveStatus, ServerMessage, TypingSignal } from './live-engine';

function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/v1/ws`;
}

export const engine = new LiveEngine({
  connect: () => new WebSocket(socketUrl()) as unknown as SocketLike,
  accessToken: () => tokens.accessToken(),
  refresh: (rejected) => tokens.refresh(rejected),
  fetchEvents: (chatId, after, limit, wait, abort) =>
    api.request<EventsPage>(`/v1/chats/${encodeURIComponent(chatId)}/events`, {
      query: { after, limit, wait: wait || undefined },
      signal: abort,
      retries: wait ? 0 : 2,
    }),
  newestIndexes: async () => new Map((await allPages<Chat>('/v1/chats')).map((chat) => [chat.id, chat.last_event_index])),
});

/** How events currently arrive (for an "offline"/"reconnecting" banner). */
export const liveStatus: ReadonlySignal<LiveStatus> = engine.status;

export function onChatEvent(listener: (event: ChatEvent) => void): () => void {
  return engine.onChatEvent(listener);
}

export function onTyping(listener: (typing: TypingSignal) => void): () => void {
  return engine.onTyping(listener);
}

/** Every message the server sends on the socket (other modules pick their own types). */
export function onLiveMessage(listener: (message: ServerMessage) => void): () => void {
  return engine.onMessage(listener);
}

/** Starts delivery (signed in); idempotent. */
export function startLive(): void {
  engine.start();
}

/** Stops delivery (sign-out). */
export function stopLive(): void {
  engine.stop();
}

/** Tells the other participants that I am typing in `chatId` (the server relays once a second at most). */
export function sendTyping(chatId: string): void {
  engine.sendTyping(chatId);
}

/** The browser coming back online reconnects at once (main.tsx starts and stops delivery with the session). */
if (typeof window !== 'undefined') window.addEventListener('online', () => engine.reconnectNow());
