/**
 * My scheduled messages of one chat (issue 25, item 6): kept by the server and sent by it at
 * their time; listed while they wait, cancelled from the chat screen. Online only: a message
 * scheduled offline would not be kept for its time anyway.
 */
import { api, type ScheduledMessage } from '../api';
import { uploadFile } from './chat';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

const key = (chatId: string): string => `chat:scheduled:${chatId}`;

/** Those still waiting, soonest first. */
export function scheduledQuery(chatId: string): Query<ScheduledMessage[]> {
  return query(key(chatId), () => allPages<ScheduledMessage>('/v1/scheduled-messages', { chat_id: chatId, status: 'scheduled' }, 1));
}

export function refreshScheduled(chatId: string): void {
  invalidate(key(chatId));
}

/** Kept by the server to be sent at `sendAt`: the text, an attachment (uploaded first), or both. */
export async function scheduleMessage(chatId: string, body: string, sendAt: Date, file: File | null = null): Promise<ScheduledMessage> {
  const stored = file ? await uploadFile(file) : null;
  const message = { ...(body ? { body } : {}), ...(stored ? { file_id: stored.id } : {}), send_at: sendAt.toISOString() };
  const kept = await api.post<ScheduledMessage>(`/v1/chats/${encodeURIComponent(chatId)}/messages`, message, { idempotencyKey: true });
  refreshScheduled(chatId);
  return kept;
}

export async function cancelScheduled(chatId: string, id: string): Promise<void> {
  await api.delete(`/v1/scheduled-messages/${encodeURIComponent(id)}`);
  refreshScheduled(chatId);
}

/** The value of a `datetime-local` field for a time (the device's own zone). */
export function localInputValue(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
