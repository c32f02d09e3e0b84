/** Settings: CardDAV app passwords, mute per chat, language. Owner: the settings helper. */
import { api, type AppPassword, type Chat } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

export interface NewAppPassword extends AppPassword {
  /** Shown once. */
  password: string;
  username: string;
  server_url: string;
}

export function appPasswordsQuery(): Query<AppPassword[]> {
  return query('settings:app-passwords', () => allPages<AppPassword>('/v1/app-passwords'));
}

export async function createAppPassword(name: string): Promise<NewAppPassword> {
  const created = await api.post<NewAppPassword>('/v1/app-passwords', { name });
  invalidate('settings:app-passwords');
  return created;
}

export async function revokeAppPassword(id: string): Promise<void> {
  await api.delete(`/v1/app-passwords/${encodeURIComponent(id)}`);
  appPasswordsQuery().update((list) => list.filter((item) => item.id !== id));
}

export async function setChatMuted(chatId: string, muted: boolean): Promise<Chat> {
  const chat = await api.patch<Chat>(`/v1/chats/${encodeURIComponent(chatId)}`, { muted });
  invalidate('chat:');
  return chat;
}

// Language: see src/i18n (`locale`, `setLocale`).
