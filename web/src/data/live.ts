/**
 * Live events: the WebSocket `/v1/ws` (authenticated by its first message
 * `{"type":"auth","access_token":...}`, never a token in the URL), falling back to long-poll,
 * catching up with `GET /v1/chats/{id}/events?after=` after every reconnect so that no event
 * is missed or seen twice. Owner: the chat helper, who implements this interface.
 *
 * Consumers subscribe with `onChatEvent`/`onTyping`; events for one chat arrive in `index`
 * order, each once.
 */
import { signal, type ReadonlySignal } from '@preact/signals';
import type { ChatEvent } from '../api';

export type LiveStatus = 'off' | 'connecting' | 'live' | 'polling' | 'offline';

export interface TypingSignal {
  chat_id: string;
  profile_id: string;
}

const status = signal<LiveStatus>('off');
/** How events currently arrive (for an "offline"/"reconnecting" banner). */
export const liveStatus: ReadonlySignal<LiveStatus> = status;

const eventListeners = new Set<(event: ChatEvent) => void>();
const typingListeners = new Set<(typing: TypingSignal) => void>();

export function onChatEvent(listener: (event: ChatEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export function onTyping(listener: (typing: TypingSignal) => void): () => void {
  typingListeners.add(listener);
  return () => typingListeners.delete(listener);
}

/** Starts delivery (called once signed in); idempotent. TODO(chat helper): connect. */
export function startLive(): void {
  status.value = 'off';
}

/** Stops delivery (sign-out). */
export function stopLive(): void {
  status.value = 'off';
}

/** Tells the other participants that I am typing in `chatId`. TODO(chat helper). */
export const sendTyping: (chatId: string) => void = () => undefined;

/** For the implementation: hands an event to every subscriber. */
export function emitChatEvent(event: ChatEvent): void {
  for (const listener of eventListeners) listener(event);
}

export function emitTyping(typing: TypingSignal): void {
  for (const listener of typingListeners) listener(typing);
}
