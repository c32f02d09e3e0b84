/**
 * Chats and messages. Owner: the chat helper. Chat list and chat metadata are queries; the
 * messages of one chat are a window of events kept in order by `index` (no gaps, no
 * duplicates), fed by history pages (`GET /v1/chats/{id}/events?after=`) and by `live`.
 */
import { api, type Chat, type ChatEvent, type EventsPage, type Participant } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

const chatPath = (id: string): string => `/v1/chats/${encodeURIComponent(id)}`;

/** My chats, most recent activity first. */
export function chatsQuery(): Query<Chat[]> {
  return query('chat:list', () => allPages<Chat>('/v1/chats'));
}

export function chatQuery(id: string): Query<Chat> {
  return query(`chat:one:${id}`, () => api.get<Chat>(chatPath(id)));
}

export function participantsQuery(id: string): Query<Participant[]> {
  return query(`chat:participants:${id}`, () => allPages<Participant>(`${chatPath(id)}/participants`));
}

export async function createChat(input: { profile_id: string; participant_ids: string[]; title?: string; direct?: boolean }): Promise<Chat> {
  const chat = await api.post<Chat>('/v1/chats', input, { idempotencyKey: true });
  invalidate('chat:list');
  return chat;
}

/** Events after `after` (exclusive), oldest first; `wait` long-polls up to that many seconds. */
export function fetchEvents(chatId: string, after: number, limit = 100, wait = 0, signal?: AbortSignal): Promise<EventsPage> {
  return api.request<EventsPage>(`${chatPath(chatId)}/events`, { query: { after, limit, wait: wait || undefined }, signal });
}

/** Sends a message; the key (kept on retries, and by issue 23's outbox) makes it exactly once. */
export function sendMessage(chatId: string, message: { body?: string; file_id?: string; reply_to?: number }, idempotencyKey: string): Promise<ChatEvent> {
  return api.post<ChatEvent>(`${chatPath(chatId)}/messages`, message, { idempotencyKey, retries: 3 });
}

export function editMessage(chatId: string, index: number, body: string): Promise<ChatEvent> {
  return api.patch<ChatEvent>(`${chatPath(chatId)}/messages/${index}`, { body });
}

export async function deleteMessage(chatId: string, index: number): Promise<void> {
  await api.delete(`${chatPath(chatId)}/messages/${index}`);
}

export async function markRead(chatId: string, index: number): Promise<void> {
  await api.post(`${chatPath(chatId)}/read`, { index });
}

export async function renameChat(chatId: string, title: string): Promise<Chat> {
  const chat = await api.patch<Chat>(chatPath(chatId), { title });
  chatQuery(chatId).set(chat);
  invalidate('chat:list');
  return chat;
}

export async function invite(chatId: string, profileId: string): Promise<void> {
  await api.post(`${chatPath(chatId)}/participants`, { profile_id: profileId });
  invalidate(`chat:participants:${chatId}`);
}

/** Leaves (my own profile) or kicks (the owner, another profile). */
export async function removeParticipant(chatId: string, profileId: string): Promise<void> {
  await api.delete(`${chatPath(chatId)}/participants/${encodeURIComponent(profileId)}`);
  invalidate('chat:');
}

/** Uploads a file for a message (images are re-encoded by the API). */
export function uploadFile(file: Blob, onProgress?: (fraction: number) => void): Promise<import('../api').StoredFile> {
  return api.upload(`/v1/files`, file, { method: 'POST', onProgress });
}
