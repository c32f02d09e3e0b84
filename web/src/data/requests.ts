/**
 * Message requests: chats from people I do not follow, waiting for my answer. The list is read
 * from the server (it is short, and nothing of it is in my chats); answering one moves it into
 * my chats (accept) or out of sight (decline, block) without telling the one who asked.
 */
import { api, type Chat, type ChatRequest } from '../api';
import { engine } from './live';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

const requestPath = (chatId: string): string => `/v1/chat-requests/${encodeURIComponent(chatId)}`;

/** The requests I have not answered, most recent activity first. */
export function requestsQuery(): Query<ChatRequest[]> {
  return query('chat-requests:list', () => allPages<ChatRequest>('/v1/chat-requests'));
}

/** One request I have not answered (404 once answered). */
export function requestQuery(chatId: string): Query<ChatRequest> {
  return query(`chat-requests:one:${chatId}`, () => api.get<ChatRequest>(requestPath(chatId)));
}

/** Out of the list. The screen of the request keeps what it showed (it is left at once, by a
 * replacing navigation); reading it again would only be a 404. */
function answered(chatId: string): void {
  requestsQuery().update((list) => list.filter((request) => request.chat.id !== chatId));
}

/** Accepts: the chat becomes one of my chats. */
export async function acceptRequest(chatId: string): Promise<Chat> {
  const chat = await api.post<Chat>(`${requestPath(chatId)}/accept`);
  answered(chatId);
  engine.track(chat.id, chat.last_event_index);
  invalidate('chat:');
  return chat;
}

/** Declines: I leave the chat, and the one who asked is not told. */
export async function declineRequest(chatId: string): Promise<void> {
  await api.post(`${requestPath(chatId)}/decline`);
  answered(chatId);
  engine.forget(chatId);
}

/** Declines and blocks the profile that asked. */
export async function blockRequest(chatId: string): Promise<void> {
  await api.post(`${requestPath(chatId)}/block`);
  answered(chatId);
  engine.forget(chatId);
  invalidate('people:');
}
