/**
 * Chats and messages. The chat list and each chat's metadata are queries, kept current by live
 * events; the messages of one chat are a `ChatRoom`: the events loaded so far, in `index` order
 * (merged by index, so a page and a live event never show one message twice), read backwards
 * page by page for history, forwards from `live` for what is new. Sends keep one
 * `Idempotency-Key` per message, so a retry never posts twice.
 */
import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { api, newIdempotencyKey, type Chat, type ChatEvent, type EventsPage, type MessageReactions, type Participant, type Pin, type StoredFile } from '../api';
import { ChatRoom, type LocalChange } from './chat-room';
import { engine } from './live';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';
import { onSignOut } from './session';
import { cached, isNetworkError, online } from './sync';
import { enqueue, mustQueue, outbox, registerSender, restore } from './outbox';

const chatPath = (id: string): string => `/v1/chats/${encodeURIComponent(id)}`;

function byActivity(a: Chat, b: Chat): number {
  const at = a.last_event_at ?? a.created_at;
  const bt = b.last_event_at ?? b.created_at;
  return at < bt ? 1 : at > bt ? -1 : 0;
}

/** My chats, most recent activity first (each becomes known to `live`, for its catch-ups). */
export function chatsQuery(): Query<Chat[]> {
  return query('chat:list', async () => {
    const listed = await cached('chat:list', () => allPages<Chat>('/v1/chats'));
    // Events delivered while the list was read are newer than what it says: they are read (one
    // page, rarely needed) and counted as live events are (only messages of others are unread).
    const chats = await Promise.all(listed.map((chat) => withDelivered(chat, engine.lastIndex(chat.id) ?? 0)));
    for (const chat of chats) engine.track(chat.id, chat.last_event_index);
    return chats.sort(byActivity);
  });
}

async function withDelivered(chat: Chat, delivered: number): Promise<Chat> {
  if (delivered <= chat.last_event_index) return chat;
  let caught = chat;
  try {
    const page = await fetchEvents(chat.id, chat.last_event_index, Math.min(delivered - chat.last_event_index, 100));
    caught = page.events.reduce(chatAfterEvent, chat);
  } catch (error) {
    if (!isNetworkError(error)) throw error;
  }
  return { ...caught, last_event_index: Math.max(caught.last_event_index, delivered) };
}

/** The installed app's icon badge (issue 23, item 5): the unread count where the browser has one. */
export function setAppBadge(count: number): void {
  if (typeof navigator === 'undefined' || !('setAppBadge' in navigator)) return;
  const done = count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge();
  done.catch(() => undefined);
}

onSignOut(() => setAppBadge(0));

/** The sum of unread messages in chats that are not muted (the tab's badge). */
export function unreadTotal(chats: Chat[] | undefined): number {
  return (chats ?? []).reduce((sum, chat) => sum + (chat.muted ? 0 : chat.unread_count), 0);
}

/**
 * The newest event of a chat (the list's "last message"): the one the chat list carries, or
 * one event read by index when the list is older than what `live` delivered; then kept
 * current by live events. Null for a chat without events.
 */
export function lastEventQuery(chatId: string): Query<ChatEvent | null> {
  return query<ChatEvent | null>(`chat:last:${chatId}`, async () => {
    const chat = chatsQuery().data.value?.find((c) => c.id === chatId) ?? chatQuery(chatId).data.value;
    const lastIndex = chat?.last_event_index ?? 0;
    if (lastIndex < 1) return null;
    if (chat?.last_event && chat.last_event.index >= lastIndex) return chat.last_event;
    const page = await fetchEvents(chatId, lastIndex - 1, 1);
    return page.events[0] ?? null;
  });
}

/** Reads the newest event again when the chat moved past the one held (a list reload). */
export function refreshLastEvent(chatId: string, lastIndex: number): void {
  const q = lastEventQuery(chatId);
  const known = q.data.value;
  if ((known !== undefined || q.loading.value) && (known?.index ?? 0) < lastIndex) q.invalidate();
}

export function chatQuery(id: string): Query<Chat> {
  return query(`chat:one:${id}`, () => cached(`chat:one:${id}`, () => api.get<Chat>(chatPath(id))));
}

export function participantsQuery(id: string): Query<Participant[]> {
  return query(`chat:participants:${id}`, () => allPages<Participant>(`${chatPath(id)}/participants`));
}

/**
 * The chat's state after an event (pure: the list and the room share it). Unread counts the
 * messages of others after my marker, as the server does: reactions, pins, previews, edits and
 * membership changes are no news.
 */
export function chatAfterEvent(chat: Chat, event: ChatEvent): Chat {
  if (event.index <= chat.last_event_index) return chat;
  // My message, or its link preview when I had read everything before it (the server moves my marker the same way).
  const ownPreview = event.type === 'message_preview' && chat.read_index === event.index - 1;
  const mine = (event.type === 'message' || ownPreview) && event.profile_id === chat.my_profile_id;
  const readIndex = mine ? event.index : chat.read_index;
  const news = event.type === 'message' && event.profile_id !== chat.my_profile_id ? 1 : 0;
  const unread = mine ? 0 : chat.unread_count + news;
  return { ...chat, last_event_index: event.index, last_event_at: event.created_at, read_index: readIndex, unread_count: unread };
}

/** A deletion of an unread message may lower the count by one, or not (whose was it?): the server says. */
function unreadMessageDeleted(chat: Chat | undefined, event: ChatEvent): boolean {
  return Boolean(chat && event.type === 'message_deleted' && (event.target_index ?? 0) > chat.read_index && chat.unread_count > 0);
}

function putChat(chat: Chat): void {
  chatQuery(chat.id).set(chat);
  chatsQuery().update((list) => [chat, ...list.filter((c) => c.id !== chat.id)].sort(byActivity));
}

function onEvent(event: ChatEvent): void {
  const list = chatsQuery().data.value;
  const known = list?.find((chat) => chat.id === event.chat_id) ?? chatQuery(event.chat_id).data.value;
  if (unreadMessageDeleted(known, event)) {
    invalidate(`chat:one:${event.chat_id}`);
    invalidate('chat:list');
  }
  if (known) {
    const next = chatAfterEvent(known, event);
    if (next !== known) {
      chatsQuery().update((chats) => chats.map((c) => (c.id === next.id ? next : c)).sort(byActivity));
      chatQuery(next.id).update((old) => chatAfterEvent(old, event));
    }
  } else {
    // A chat not in my list: a new one, or a message request (its list shows the first message).
    invalidate('chat:list');
    invalidate('chat-requests:list');
  }
  if (event.type === 'member_joined' || event.type === 'member_left' || event.type === 'member_kicked' || event.type === 'chat_updated') {
    const me = known?.my_profile_id;
    const gone = me && (event.type === 'member_left' ? event.profile_id === me : event.type === 'member_kicked' && event.target_profile_id === me);
    invalidate(`chat:participants:${event.chat_id}`);
    invalidate(`chat:one:${event.chat_id}`);
    invalidate('chat:list');
    if (gone) engine.forget(event.chat_id);
  }
  lastEventQuery(event.chat_id).update((old) => (old && old.index > event.index ? old : event));
  rooms.get(event.chat_id)?.apply(event, true);
}

engine.onChatEvent(onEvent);

export async function createChat(input: { profile_id: string; participant_ids: string[]; title?: string; direct?: boolean }): Promise<Chat> {
  const chat = await api.post<Chat>('/v1/chats', input, { idempotencyKey: true });
  engine.track(chat.id, chat.last_event_index);
  chatQuery(chat.id).set(chat);
  invalidate('chat:list');
  return chat;
}

/** Events after `after` (exclusive), oldest first; `wait` long-polls up to that many seconds. */
export function fetchEvents(chatId: string, after: number, limit = 100, wait = 0, signal?: AbortSignal): Promise<EventsPage> {
  if (wait) return api.request<EventsPage>(`${chatPath(chatId)}/events`, { query: { after, limit, wait }, signal });
  // History pages are kept for offline start (the last pages of every chat opened).
  return cached(`chat:events:${chatId}:${String(after)}:${String(limit)}`, () =>
    api.request<EventsPage>(`${chatPath(chatId)}/events`, { query: { after, limit }, signal, retries: online.peek() ? 2 : 0 }),
  );
}

const MESSAGE_CHANGE = 'message-change';

/**
 * Edits or deletes my message. Offline (or behind other waiting writes, or when the network
 * fails) the change waits in the outbox, shown at once as waiting (`room.waiting`).
 */
export async function changeMessage(chatId: string, index: number, change: LocalChange): Promise<void> {
  const item = { kind: MESSAGE_CHANGE, target: chatId, body: { index, ...change }, key: newIdempotencyKey() };
  if (!mustQueue()) {
    try {
      await sendChange(chatId, index, change);
      return;
    } catch (error) {
      if (!isNetworkError(error)) throw error;
    }
  }
  chatRoom(chatId).changeLocally(index, change);
  await enqueue(item);
}

async function sendChange(chatId: string, index: number, change: LocalChange): Promise<void> {
  const path = `${chatPath(chatId)}/messages/${index}`;
  if ('deleted' in change) {
    await api.delete(path);
    void engine.catchUp(chatId);
  } else {
    engine.receive(await api.patch<ChatEvent>(path, { body: change.body }));
  }
}

/** The message at `index` as the server has it now, or null (deleted, or not mine to see). */
async function messageAt(chatId: string, index: number): Promise<ChatEvent | null> {
  const page = await api.get<EventsPage>(`${chatPath(chatId)}/events`, { after: index - 1, limit: 1 });
  const event = page.events.find((candidate) => candidate.index === index);
  return event && !event.deleted_at ? event : null;
}

registerSender(MESSAGE_CHANGE, {
  async send(item) {
    const { index, ...change } = item.body as { index: number } & LocalChange;
    // A change sent before whose answer was lost has landed already: it is not sent twice
    // (an edit would write a second event). Edits and deletions carry no Idempotency-Key.
    const current = await messageAt(item.target, index);
    const landed = current === null ? 'deleted' in change : 'body' in change && current.body === change.body;
    if (!landed) await sendChange(item.target, index, change);
    rooms.get(item.target)?.settleLocally(index, true);
  },
  onFailed(item) {
    // Refused for good (deleted meanwhile, no longer mine to change): the server's version shows.
    rooms.get(item.target)?.settleLocally(Number(item.body.index), false);
    void engine.catchUp(item.target);
  },
});

const readSent = new Map<string, number>();

/** Marks the chat read up to `index` (when the newest event is on screen); sent once per index. */
export async function markRead(chatId: string, index: number): Promise<void> {
  const chat = chatQuery(chatId).data.value;
  if ((readSent.get(chatId) ?? 0) >= index || (chat && chat.read_index >= index)) return;
  readSent.set(chatId, index);
  // Read to the end: nothing is unread; part of the way: the count stays until the server tells.
  const read = (old: Chat): Chat => (old.read_index >= index ? old : { ...old, read_index: index, unread_count: index >= old.last_event_index ? 0 : old.unread_count });
  chatQuery(chatId).update(read);
  chatsQuery().update((list) => list.map((c) => (c.id === chatId ? read(c) : c)));
  // Offline, the marker waits in the outbox (a marker never moves back: sent late, it is right).
  if (!online.peek()) {
    await enqueue({ kind: 'read', target: chatId, body: { index }, key: newIdempotencyKey() });
    return;
  }
  try {
    await api.post(`${chatPath(chatId)}/read`, { index });
  } catch (error) {
    if (isNetworkError(error)) await enqueue({ kind: 'read', target: chatId, body: { index }, key: newIdempotencyKey() });
    else readSent.delete(chatId);
  }
}

registerSender('read', {
  async send(item) {
    await api.post(`${chatPath(item.target)}/read`, item.body);
  },
  onFailed(item) {
    // Refused for good (left the chat meanwhile): the list shows the server's count again.
    readSent.delete(item.target);
    invalidate('chat:list');
  },
});

export async function renameChat(chatId: string, title: string): Promise<Chat> {
  const chat = await api.patch<Chat>(chatPath(chatId), { title });
  putChat(chat);
  return chat;
}

export async function setMuted(chatId: string, muted: boolean): Promise<Chat> {
  const chat = await api.patch<Chat>(chatPath(chatId), { muted });
  putChat(chat);
  return chat;
}

export async function invite(chatId: string, profileId: string): Promise<void> {
  await api.post(`${chatPath(chatId)}/participants`, { profile_id: profileId });
  invalidate(`chat:participants:${chatId}`);
  invalidate(`chat:one:${chatId}`);
}

/** Leaves (my own profile) or kicks (the owner, another profile). */
export async function removeParticipant(chatId: string, profileId: string, leaving: boolean): Promise<void> {
  await api.delete(`${chatPath(chatId)}/participants/${encodeURIComponent(profileId)}`);
  if (leaving) {
    engine.forget(chatId);
    rooms.delete(chatId);
    chatsQuery().update((list) => list.filter((c) => c.id !== chatId));
  }
  invalidate('chat:');
}

/** Uploads a file for a message (images are re-encoded by the API). */
export function uploadFile(file: Blob, onProgress?: (fraction: number) => void): Promise<StoredFile> {
  return api.upload<StoredFile>(`/v1/files`, file, { method: 'POST', onProgress, idempotencyKey: true });
}

// --- One chat's messages ----------------------------------------------------------------

export { ChatRoom, HISTORY_PAGE } from './chat-room';
export type { LocalChange, PendingMessage } from './chat-room';

const rooms = new Map<string, ChatRoom>();

/** The room of a chat (one per chat while signed in). */
export function chatRoom(chatId: string): ChatRoom {
  let room = rooms.get(chatId);
  if (!room) {
    room = new ChatRoom(chatId, (id, after, limit) => fetchEvents(id, after, limit));
    rooms.set(chatId, room);
    const opened = room;
    // Messages written offline before a reload wait in the outbox: show them as pending.
    void restore().then((items) => {
      for (const item of items.filter((waiting) => waiting.target === chatId)) {
        if (item.kind === 'message') opened.restorePending(item.key, messageBody(item.body));
        if (item.kind === MESSAGE_CHANGE) {
          const { index, ...change } = item.body as { index: number } & LocalChange;
          opened.changeLocally(index, change);
        }
      }
    });
  }
  return room;
}

/** Opens a chat on screen: loads its newest page, follows it live (long-poll while the socket is down). */
export function openRoom(chatId: string, lastIndex: number): () => void {
  const room = chatRoom(chatId);
  void room.start(lastIndex).then(() => {
    engine.track(chatId, room.newest);
    // Whatever `live` delivered before the room listened.
    void engine.catchUp(chatId);
  });
  return engine.watch(chatId);
}

/** Sends (or re-sends after a failure) a queued message with its own Idempotency-Key. */
export async function sendPending(room: ChatRoom, key: string): Promise<void> {
  let message = room.updatePending(key, { status: 'sending' });
  if (!message) return;
  try {
    if (message.file && !message.fileId) {
      const stored = await uploadFile(message.file, (progress) => room.updatePending(key, { progress }));
      message = room.updatePending(key, { fileId: stored.id, progress: 1 }) ?? message;
    }
    const body: { body?: string; file_id?: string; reply_to?: number } = {};
    if (message.body.trim()) body.body = message.body;
    if (message.fileId) body.file_id = message.fileId;
    if (message.replyTo) body.reply_to = message.replyTo;
    // Offline (or behind other waiting writes): the outbox sends it later, with the same key.
    if (!message.file && mustQueue()) {
      await enqueue({ kind: 'message', target: room.chatId, body, key: message.key });
      return;
    }
    const event = await api.post<ChatEvent>(`${chatPath(room.chatId)}/messages`, body, { idempotencyKey: message.key, retries: 2 });
    batch(() => {
      room.removePending(key);
      room.apply(event, true);
    });
    engine.receive(event);
  } catch (error) {
    if (isNetworkError(error) && !message.file && !outbox.value.some((item) => item.key === key)) {
      const body: Record<string, unknown> = { body: message.body };
      if (message.replyTo) body.reply_to = message.replyTo;
      await enqueue({ kind: 'message', target: room.chatId, body, key: message.key });
      return;
    }
    room.updatePending(key, { status: 'failed' });
    throw error;
  }
}

function messageBody(body: Record<string, unknown>): { body: string; replyTo: number | null } {
  return { body: typeof body.body === 'string' ? body.body : '', replyTo: typeof body.reply_to === 'number' ? body.reply_to : null };
}

registerSender('message', {
  async send(item) {
    const event = await api.post<ChatEvent>(`${chatPath(item.target)}/messages`, item.body, { idempotencyKey: item.key, retries: 2 });
    const room = rooms.get(item.target);
    batch(() => {
      room?.removePending(item.key);
      room?.apply(event, true);
    });
    engine.receive(event);
  },
  onFailed(item) {
    rooms.get(item.target)?.updatePending(item.key, { status: 'failed' });
  },
});

/** Queues and sends a message: text, a file (image or document), and what it replies to. */
export function sendMessage(chatId: string, body: string, file: File | null, replyTo: number | null): Promise<void> {
  const room = chatRoom(chatId);
  const message = room.queue(body, file, replyTo);
  return sendPending(room, message.key);
}

export function discardPending(chatId: string, key: string): void {
  chatRoom(chatId).removePending(key);
}

/** Who is typing in a chat (profile ids), each for a few seconds after their last signal. */
const typingState = new Map<string, Signal<string[]>>();

function typingSignal(chatId: string): Signal<string[]> {
  let state = typingState.get(chatId);
  if (!state) {
    state = signal<string[]>([]);
    typingState.set(chatId, state);
  }
  return state;
}
const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

export function typingIn(chatId: string): ReadonlySignal<string[]> {
  return typingSignal(chatId);
}

engine.onTyping(({ chat_id, profile_id }) => {
  const state = typingSignal(chat_id);
  if (!state.value.includes(profile_id)) state.value = [...state.value, profile_id];
  const timerKey = `${chat_id}:${profile_id}`;
  const old = typingTimers.get(timerKey);
  if (old) clearTimeout(old);
  typingTimers.set(
    timerKey,
    setTimeout(() => {
      typingTimers.delete(timerKey);
      state.value = state.value.filter((id) => id !== profile_id);
    }, 4000),
  );
});

engine.onChatEvent((event) => {
  // A message from someone ends their typing.
  if (event.type !== 'message') return;
  const state = typingState.get(event.chat_id);
  if (state?.value.includes(event.profile_id)) state.value = state.value.filter((id) => id !== event.profile_id);
});

onSignOut(() => {
  rooms.clear();
  readSent.clear();
  typingState.clear();
  for (const timer of typingTimers.values()) clearTimeout(timer);
  typingTimers.clear();
});

// --- conversations: reactions, threads, pins, forwards, mentions --------------------------

/** Adds (or takes back) my reaction; the room shows the counts the server answered. */
export async function react(chatId: string, index: number, emoji: string, on: boolean): Promise<void> {
  const path = `${chatPath(chatId)}/messages/${String(index)}/reactions/${encodeURIComponent(emoji)}`;
  const answer = on ? await api.put<MessageReactions>(path) : await api.delete<MessageReactions>(path);
  const room = chatRoom(chatId);
  if (answer.event) room.apply(answer.event, true);
  room.setReactions(index, answer.reactions);
}

export function fetchReplies(chatId: string, index: number): Promise<EventsPage> {
  return api.request<EventsPage>(`${chatPath(chatId)}/messages/${String(index)}/replies`, { query: { limit: 200 } });
}

export async function fetchPins(chatId: string): Promise<Pin[]> {
  return (await api.get<{ items: Pin[] }>(`${chatPath(chatId)}/pins`)).items;
}

export async function setPinned(chatId: string, index: number, pinned: boolean): Promise<void> {
  const path = `${chatPath(chatId)}/pins/${String(index)}`;
  const event = pinned ? await api.put<ChatEvent | null>(path) : await api.delete<ChatEvent | null>(path);
  if (event) chatRoom(chatId).apply(event, true);
}

export async function forwardMessage(chatId: string, index: number, toChatId: string): Promise<void> {
  await api.post<ChatEvent>(`${chatPath(chatId)}/messages/${String(index)}/forward`, { chat_id: toChatId }, { idempotencyKey: true });
  invalidate('chat:list');
}
