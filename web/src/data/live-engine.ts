/**
 * Live events: one WebSocket `/v1/ws` per signed-in session (authenticated by its first message
 * `{"type":"auth","access_token":...}`, never a token in the URL), kept alive by pings,
 * reconnected with backoff and jitter (a refused token is refreshed first). While the socket
 * cannot be used, the chats on screen long-poll `GET /v1/chats/{id}/events?after=&wait=25`.
 * After every (re)connect each known chat that moved (its newest index, from one read of the
 * chat list, is past what was delivered) catches up with `GET /v1/chats/{id}/events?after=`,
 * page by page, so that listeners see each chat's events in `index` order, each once: events
 * that arrive ahead of a gap wait in a buffer while the gap is fetched; repeats are dropped.
 *
 * This module holds the logic with its effects injected (tests use a fake socket and fetch);
 * data/live.ts wires the app's one engine to the browser and the session.
 */
import { signal } from '@preact/signals';
import type { ChatEvent, EventsPage } from '../api/types';

export type LiveStatus = 'off' | 'connecting' | 'live' | 'polling' | 'offline';

export interface TypingSignal {
  chat_id: string;
  profile_id: string;
}

/** Any message the server sends on the socket (`event`, `typing`, `sync`, ...). */
export interface ServerMessage {
  type: string;
  [field: string]: unknown;
}

/** What the engine needs of a WebSocket (the browser's, or a test's fake). */
export interface SocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LiveDeps {
  /** Opens a socket to `/v1/ws`. */
  connect: () => SocketLike;
  /** A valid access token. */
  accessToken: () => Promise<string>;
  /** A fresh access token after `rejected` was refused (rejects when the session is gone). */
  refresh: (rejected: string) => Promise<string>;
  /** `GET /v1/chats/{id}/events?after=&limit=&wait=`. */
  fetchEvents: (chatId: string, after: number, limit: number, wait: number, signal?: AbortSignal) => Promise<EventsPage>;
  /**
   * Each chat's newest index as the server has it now (`GET /v1/chats`): a (re)connect then
   * reads only the chats that moved, not one page per known chat. Without it, every known chat
   * is read.
   */
  newestIndexes?: () => Promise<Map<string, number>>;
  /** 0 ≤ x < 1 for jitter (tests pass a constant). */
  random?: () => number;
}

export const PAGE = 100;
export const PING_MS = 25_000;
export const PONG_TIMEOUT_MS = 10_000;
export const POLL_WAIT_S = 25;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** Failed connects in a row before the chats on screen long-poll instead. */
export const FALLBACK_AFTER = 2;
const UNAUTHORIZED = 4401;

interface Cursor {
  /** The newest index delivered. */
  last: number;
  /** Events received ahead of a gap. */
  ahead: Map<number, ChatEvent>;
  catching: Promise<void> | null;
  /** A catch-up was asked for while one ran: run again when it ends. */
  again: boolean;
}

type Listener<T> = (value: T) => void;

function notify<T>(listeners: Set<Listener<T>>, value: T): void {
  for (const listener of [...listeners]) {
    try {
      listener(value);
    } catch (error) {
      console.warn('live listener failed', error);
    }
  }
}

export class LiveEngine {
  readonly status = signal<LiveStatus>('off');
  private readonly cursors = new Map<string, Cursor>();
  private readonly events = new Set<Listener<ChatEvent>>();
  private readonly typing = new Set<Listener<TypingSignal>>();
  private readonly messages = new Set<Listener<ServerMessage>>();
  private readonly watched = new Map<string, number>();
  private readonly polls = new Map<string, AbortController>();
  private socket: SocketLike | null = null;
  private running = false;
  private failures = 0;
  private refusedToken: string | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  constructor(private readonly deps: LiveDeps) {}

  onChatEvent(listener: Listener<ChatEvent>): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }

  onTyping(listener: Listener<TypingSignal>): () => void {
    this.typing.add(listener);
    return () => this.typing.delete(listener);
  }

  /** Every message the server sends, including those the engine handles (sync hints, ...). */
  onMessage(listener: Listener<ServerMessage>): () => void {
    this.messages.add(listener);
    return () => this.messages.delete(listener);
  }

  /** The newest index delivered for `chatId`, or null when the chat is not known. */
  lastIndex(chatId: string): number | null {
    return this.cursors.get(chatId)?.last ?? null;
  }

  /**
   * Makes a chat known from `index` on (what its reader already has): later events are
   * delivered from `index + 1`, and reconnects catch it up. A known chat only moves forward.
   */
  track(chatId: string, index: number): void {
    const cursor = this.cursors.get(chatId);
    if (!cursor) {
      this.cursors.set(chatId, { last: index, ahead: new Map(), catching: null, again: false });
      return;
    }
    if (index > cursor.last) {
      cursor.last = index;
      for (const key of [...cursor.ahead.keys()]) if (key <= index) cursor.ahead.delete(key);
      this.flush(chatId, cursor);
    }
  }

  /** Forgets a chat (left or kicked). */
  forget(chatId: string): void {
    this.cursors.delete(chatId);
    this.unwatch(chatId);
  }

  /** The chat is on screen: while the socket is down it long-polls. Returns the undo. */
  watch(chatId: string): () => void {
    this.watched.set(chatId, (this.watched.get(chatId) ?? 0) + 1);
    if (this.status.value === 'polling' || this.status.value === 'offline') this.startPolls();
    return () => this.unwatch(chatId);
  }

  private unwatch(chatId: string): void {
    const count = (this.watched.get(chatId) ?? 0) - 1;
    if (count > 0) {
      this.watched.set(chatId, count);
      return;
    }
    this.watched.delete(chatId);
    this.polls.get(chatId)?.abort();
    this.polls.delete(chatId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.open();
  }

  /** Stops everything and forgets every chat (sign-out). */
  stop(): void {
    this.running = false;
    this.generation++;
    this.clearTimers();
    this.stopPolls();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'signed out');
    }
    this.cursors.clear();
    this.watched.clear();
    this.status.value = 'off';
  }

  /** Reconnects now (the browser came back online). */
  reconnectNow(): void {
    if (!this.running || this.status.value === 'live' || this.status.value === 'connecting') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.open();
  }

  sendTyping(chatId: string): void {
    if (this.status.value === 'live') this.send({ type: 'typing', chat_id: chatId });
  }

  /** Hands one event in (from the socket, a long-poll or a page): delivered in order, once. */
  receive(event: ChatEvent): void {
    let cursor = this.cursors.get(event.chat_id);
    if (!cursor) {
      // A chat nobody tracked (new to us): it starts here.
      cursor = { last: event.index - 1, ahead: new Map(), catching: null, again: false };
      this.cursors.set(event.chat_id, cursor);
    }
    if (event.index <= cursor.last) return;
    if (event.index === cursor.last + 1) {
      cursor.last = event.index;
      notify(this.events, event);
      this.flush(event.chat_id, cursor);
      return;
    }
    cursor.ahead.set(event.index, event);
    // A gap: the server fills it (a catch-up under way delivers what waits here when it ends).
    if (!cursor.catching) void this.catchUp(event.chat_id);
  }

  private flush(chatId: string, cursor: Cursor): void {
    let next = cursor.ahead.get(cursor.last + 1);
    while (next) {
      cursor.ahead.delete(next.index);
      cursor.last = next.index;
      notify(this.events, next);
      next = cursor.ahead.get(cursor.last + 1);
    }
    if (cursor.ahead.size && !cursor.catching) void this.catchUp(chatId);
  }

  /** Reads the chat's events after the newest delivered, page by page, until none is left. */
  catchUp(chatId: string): Promise<void> {
    const cursor = this.cursors.get(chatId);
    if (!cursor) return Promise.resolve();
    if (cursor.catching) {
      cursor.again = true;
      return cursor.catching;
    }
    const generation = this.generation;
    const run = async (): Promise<void> => {
      do {
        cursor.again = false;
        for (;;) {
          const page = await this.deps.fetchEvents(chatId, cursor.last, PAGE, 0);
          if (generation !== this.generation || this.cursors.get(chatId) !== cursor) return;
          this.acceptPage(cursor, page);
          if (page.events.length < PAGE) break;
        }
        // The server has nothing between: what waits ahead follows in order (indices the
        // server does not show this reader, such as time away from the chat, are skipped).
        this.deliverAhead(cursor);
      } while (cursor.again);
    };
    cursor.catching = run()
      .catch((error: unknown) => {
        console.warn('catch-up failed', error);
      })
      .finally(() => {
        cursor.catching = null;
      });
    return cursor.catching;
  }

  /** A page from the server is authoritative: its events follow the newest delivered. */
  private acceptPage(cursor: Cursor, page: EventsPage): void {
    for (const event of page.events) {
      if (event.index <= cursor.last) continue;
      cursor.ahead.delete(event.index);
      cursor.last = event.index;
      notify(this.events, event);
    }
    let next = cursor.ahead.get(cursor.last + 1);
    while (next) {
      cursor.ahead.delete(next.index);
      cursor.last = next.index;
      notify(this.events, next);
      next = cursor.ahead.get(cursor.last + 1);
    }
  }

  private deliverAhead(cursor: Cursor): void {
    const waiting = [...cursor.ahead.values()].sort((a, b) => a.index - b.index);
    cursor.ahead.clear();
    for (const event of waiting) {
      if (event.index <= cursor.last) continue;
      cursor.last = event.index;
      notify(this.events, event);
    }
  }

  private open(): void {
    if (!this.running) return;
    const generation = ++this.generation;
    this.clearTimers();
    if (this.status.value !== 'polling') this.status.value = 'connecting';
    let socket: SocketLike;
    try {
      socket = this.deps.connect();
    } catch {
      this.failed(generation, 1006);
      return;
    }
    this.socket = socket;
    let token: string | null = null;
    let ready = false;
    socket.onopen = () => {
      void this.deps.accessToken().then(
        (fresh) => {
          if (generation !== this.generation) return;
          token = fresh;
          this.send({ type: 'auth', access_token: fresh });
        },
        () => socket.close(1000, 'no token'),
      );
    };
    socket.onmessage = (message) => {
      if (generation !== this.generation || typeof message.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as ServerMessage).type !== 'string') return;
      const frame = parsed as ServerMessage;
      if (frame.type === 'ready') {
        ready = true;
        this.onReady();
      } else if (frame.type === 'event' && frame.event && typeof frame.event === 'object') {
        this.receive(frame.event as ChatEvent);
      } else if (frame.type === 'typing' && typeof frame.chat_id === 'string' && typeof frame.profile_id === 'string') {
        notify(this.typing, { chat_id: frame.chat_id, profile_id: frame.profile_id });
      } else if (frame.type === 'pong') {
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = null;
      }
      notify(this.messages, frame);
    };
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.clearTimers();
      if (event.code === UNAUTHORIZED && token && this.refusedToken !== token) {
        // The token was refused (expired or revoked): refresh once, then connect again at once.
        this.refusedToken = token;
        const rejected = token;
        this.deps.refresh(rejected).then(
          () => {
            if (generation === this.generation) this.open();
          },
          () => {
            if (generation === this.generation) this.stop();
          },
        );
        return;
      }
      this.failed(generation, ready ? null : event.code);
    };
  }

  private onReady(): void {
    this.failures = 0;
    this.refusedToken = null;
    this.stopPolls();
    this.status.value = 'live';
    this.pingTimer = setInterval(() => {
      this.send({ type: 'ping' });
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          // No answer: the connection is dead without having said so.
          this.pongTimer = null;
          const socket = this.socket;
          if (!socket) return;
          const closed = socket.onclose;
          socket.onclose = null;
          socket.close(4000, 'no pong');
          closed?.({ code: 1006, reason: 'no pong' });
        }, PONG_TIMEOUT_MS);
      }
    }, PING_MS);
    this.catchUpMoved();
  }

  /** Catches up the known chats that moved since their last delivered event. */
  private catchUpMoved(): void {
    const everyChat = (): void => {
      for (const chatId of this.cursors.keys()) void this.catchUp(chatId);
    };
    if (!this.deps.newestIndexes) {
      everyChat();
      return;
    }
    const generation = this.generation;
    this.deps.newestIndexes().then((newest) => {
      if (generation !== this.generation) return;
      for (const [chatId, cursor] of this.cursors) {
        // A chat the list does not name (left since) is read too: the read says so.
        const index = newest.get(chatId);
        if (index === undefined || index > cursor.last) void this.catchUp(chatId);
      }
    }, everyChat);
  }

  private failed(generation: number, code: number | null): void {
    if (generation !== this.generation || !this.running) return;
    if (code !== null) this.failures++;
    else this.failures = 1;
    const delay = this.backoff();
    if (this.failures >= FALLBACK_AFTER) {
      this.status.value = 'polling';
      this.startPolls();
    } else {
      this.status.value = 'connecting';
      // Whatever arrived while the socket was down is read now.
      this.catchUpMoved();
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  /** Exponential backoff with full jitter: half fixed, half random. */
  backoff(): number {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, this.failures - 1));
    const random = this.deps.random ?? Math.random;
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
  }

  private startPolls(): void {
    for (const chatId of this.watched.keys()) {
      if (!this.polls.has(chatId)) this.poll(chatId);
    }
  }

  private stopPolls(): void {
    for (const controller of this.polls.values()) controller.abort();
    this.polls.clear();
  }

  private poll(chatId: string): void {
    const controller = new AbortController();
    this.polls.set(chatId, controller);
    const loop = async (): Promise<void> => {
      let errors = 0;
      while (!controller.signal.aborted) {
        const cursor = this.cursors.get(chatId);
        if (!cursor) {
          this.track(chatId, 0);
          continue;
        }
        try {
          const page = await this.deps.fetchEvents(chatId, cursor.last, PAGE, POLL_WAIT_S, controller.signal);
          if (controller.signal.aborted) return;
          errors = 0;
          this.acceptPage(cursor, page);
        } catch {
          if (controller.signal.aborted) return;
          errors++;
          const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(errors, 5));
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    };
    void loop().finally(() => {
      if (this.polls.get(chatId) === controller) this.polls.delete(chatId);
    });
  }

  private send(message: Record<string, unknown>): void {
    const socket = this.socket;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }
}

