/** Settings: CardDAV app passwords, mute per chat, language. Owner: the settings helper. */
import { api, type AppPassword, type Chat } from '../api';
import { chatQuery, chatsQuery } from './chat';
import { allPages } from './pages';
import { query, type Query } from './query';

export interface NewAppPassword extends AppPassword {
  /** Shown once. */
  password: string;
  username: string;
  server_url: string;
}

/** What a contacts app needs besides an app password (`GET /v1/app-passwords/setup`). */
export interface CardDavSetup {
  /** `{public_url}/dav/`: the address to type into DAVx⁵ or iOS Contacts. */
  server_url: string;
  username: string;
  email: string;
}

export function appPasswordsQuery(): Query<AppPassword[]> {
  return query('settings:app-passwords', () => allPages<AppPassword>('/v1/app-passwords'));
}

export function carddavSetupQuery(): Query<CardDavSetup> {
  return query('settings:carddav-setup', () => api.get<CardDavSetup>('/v1/app-passwords/setup'));
}

/** Creates an app password; its secret is in this answer only (never stored by the app). */
export async function createAppPassword(name: string): Promise<NewAppPassword> {
  const created = await api.post<NewAppPassword>('/v1/app-passwords', { name }, { idempotencyKey: true });
  const listed: AppPassword = { id: created.id, name: created.name, created_at: created.created_at, last_used_at: created.last_used_at };
  appPasswordsQuery().update((list) => [listed, ...list.filter((item) => item.id !== created.id)]);
  return created;
}

export async function revokeAppPassword(id: string): Promise<void> {
  await api.delete(`/v1/app-passwords/${encodeURIComponent(id)}`);
  appPasswordsQuery().update((list) => list.filter((item) => item.id !== id));
}

/** Mutes or unmutes one of my chats; the chat list (data/chat.ts) follows in place. */
export async function setChatMuted(chatId: string, muted: boolean): Promise<Chat> {
  const chat = await api.patch<Chat>(`/v1/chats/${encodeURIComponent(chatId)}`, { muted });
  chatsQuery().update((list) => list.map((item) => (item.id === chat.id ? { ...item, muted: chat.muted } : item)));
  chatQuery(chat.id).update((item) => ({ ...item, muted: chat.muted }));
  return chat;
}

// Language: see src/i18n (`locale`, `setLocale`).

/** One export of everything of the account (`POST /v1/me/exports`). */
export interface DataExport {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  created_at: string;
  ready_at: string | null;
  /** Downloadable until then, deleted after (a week). */
  expires_at: string | null;
  size: number | null;
  sha256: string | null;
  download_url: string | null;
}

export function exportsQuery(): Query<DataExport[]> {
  return query('settings:exports', async () => (await api.get<{ exports: DataExport[] }>('/v1/me/exports')).exports);
}

/** Asks for an export; the worker builds it and mails when it is ready. */
export async function requestExport(): Promise<DataExport> {
  const created = await api.post<DataExport>('/v1/me/exports');
  exportsQuery().update((list) => [created, ...list.filter((item) => item.id !== created.id)]);
  return created;
}

/** The export's ZIP (fetched with the session's token, through our origin). */
export async function downloadExport(item: DataExport): Promise<Blob> {
  return api.request<Blob>(`/v1/me/exports/${encodeURIComponent(item.id)}/download`, { as: 'blob' });
}
