import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatEvent, EventsPage } from '../../src/api/types';
import { FALLBACK_AFTER, LiveEngine, PAGE, PING_MS, PONG_TIMEOUT_MS, type LiveDeps, type SocketLike } from '../../src/data/live-engine';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closed: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closed = code;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const CHAT = '00000000-0000-4000-8000-000000000001';

function ev(index: number, chat = CHAT): ChatEvent {
  return { chat_id: chat, index, type: 'message', profile_id: 'p', created_at: '2026-12-07T00:00:00Z', body: `m${index}` };
}

/** The server's event log of one chat; `hidden` are indices this reader may not see. */
function server(count: number, hidden: number[] = []) {
  const log: ChatEvent[] = [];
  for (let i = 1; i <= count; i++) if (!hidden.includes(i)) log.push(ev(i));
  const calls: { after: number; wait: number }[] = [];
  const fetchEvents: LiveDeps['fetchEvents'] = (_chat, after, limit, wait) => {
    calls.push({ after, wait });
    const events = log.filter((e) => e.index > after).slice(0, limit);
    const page: EventsPage = { events, next_after: events.at(-1)?.index ?? after };
    return Promise.resolve(page);
  };
  return { log, calls, fetchEvents };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setup(fetchEvents: LiveDeps['fetchEvents'], extra: Partial<LiveDeps> = {}) {
  const sockets: FakeSocket[] = [];
  const tokens = { current: 'token-1', refreshed: [] as string[] };
  const engine = new LiveEngine({
    connect: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    accessToken: () => Promise.resolve(tokens.current),
    refresh: (rejected) => {
      tokens.refreshed.push(rejected);
      tokens.current = `token-${tokens.refreshed.length + 1}`;
      return Promise.resolve(tokens.current);
    },
    fetchEvents,
    random: () => 0.5,
    ...extra,
  });
  const seen: number[] = [];
  engine.onChatEvent((event) => seen.push(event.index));
  const socket = (i: number): FakeSocket => {
    const found = sockets.at(i);
    if (!found) throw new Error(`no socket ${i}`);
    return found;
  };
  return { engine, sockets, socket, tokens, seen };
}

async function connect(socket: FakeSocket): Promise<void> {
  socket.open();
  await settle();
  socket.frame({ type: 'ready', user_id: 'u', session_id: 's' });
  await settle();
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ordering', () => {
  it('delivers in index order, once, whatever order events arrive in', async () => {
    const { fetchEvents, calls } = server(0);
    const { engine, seen } = setup(fetchEvents);
    engine.track(CHAT, 0);
    for (const index of [1, 3, 2, 2, 5, 1, 4, 5, 6]) engine.receive(ev(index));
    await settle();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    // The gaps asked the server (which had nothing more to say).
    expect(calls.length).toBeGreaterThan(0);
  });

  it('fills a gap from the server, page by page, without duplicates', async () => {
    const total = PAGE * 2 + 30;
    const { fetchEvents, calls } = server(total);
    const { engine, seen } = setup(fetchEvents);
    engine.track(CHAT, 10);
    engine.receive(ev(total)); // far ahead: everything between is fetched
    engine.receive(ev(12)); // arrives while the catch-up runs
    await settle();
    expect(seen).toEqual(Array.from({ length: total - 10 }, (_, i) => i + 11));
    expect(calls.map((c) => c.after)).toEqual([10, 10 + PAGE, 10 + 2 * PAGE]);
  });

  it('drops page events the socket delivered while the page was on its way', async () => {
    const { fetchEvents } = server(6);
    const { engine, seen } = setup(fetchEvents);
    engine.track(CHAT, 3);
    engine.receive(ev(5)); // a gap: the catch-up asks for after=3
    engine.receive(ev(4)); // the socket fills it before the page comes back
    await settle();
    expect(seen).toEqual([4, 5, 6]);
  });

  it('skips indices the server does not show this reader (time away from the chat)', async () => {
    const { fetchEvents } = server(8, [4, 5, 6]);
    const { engine, seen } = setup(fetchEvents);
    engine.track(CHAT, 2);
    engine.receive(ev(8));
    await settle();
    expect(seen).toEqual([3, 7, 8]);
  });

  it('starts an untracked chat at its first event', () => {
    const { fetchEvents, calls } = server(0);
    const { engine, seen } = setup(fetchEvents);
    engine.receive(ev(41));
    engine.receive(ev(42));
    expect(seen).toEqual([41, 42]);
    expect(calls).toEqual([]);
  });

  it('track moves a known chat forward only, dropping what it already has', async () => {
    const { fetchEvents } = server(0);
    const { engine, seen } = setup(fetchEvents);
    engine.track(CHAT, 5);
    engine.track(CHAT, 3);
    expect(engine.lastIndex(CHAT)).toBe(5);
    engine.receive(ev(5));
    engine.receive(ev(6));
    await settle();
    expect(seen).toEqual([6]);
  });
});

describe('socket', () => {
  it('authenticates with its first message, never in the URL, and relays typing', async () => {
    const { fetchEvents } = server(0);
    const { engine, socket } = setup(fetchEvents);
    const typing: string[] = [];
    engine.onTyping((t) => typing.push(t.profile_id));
    engine.start();
    expect(engine.status.value).toBe('connecting');
    await connect(socket(0));
    expect(socket(0).sent[0]).toEqual({ type: 'auth', access_token: 'token-1' });
    expect(engine.status.value).toBe('live');
    socket(0).frame({ type: 'typing', chat_id: CHAT, profile_id: 'them' });
    expect(typing).toEqual(['them']);
    engine.sendTyping(CHAT);
    expect(socket(0).sent[1]).toEqual({ type: 'typing', chat_id: CHAT });
    engine.stop();
  });

  it('passes other messages (sync hints) to onMessage', async () => {
    const { fetchEvents } = server(0);
    const { engine, socket } = setup(fetchEvents);
    const got: string[] = [];
    engine.onMessage((m) => got.push(m.type));
    engine.start();
    await connect(socket(0));
    socket(0).frame({ type: 'sync' });
    expect(got).toEqual(['ready', 'sync']);
    engine.stop();
  });

  it('reconnects with backoff and catches up every known chat without gaps or duplicates', async () => {
    const s = server(3);
    const { engine, sockets, socket, seen } = setup(s.fetchEvents);
    engine.track(CHAT, 3);
    engine.start();
    await connect(socket(0));
    socket(0).frame({ type: 'event', event: ev(4) });
    s.log.push(ev(4));
    expect(seen).toEqual([4]);
    // Three events are written as the socket drops: the catch-up reads them.
    s.log.push(ev(5), ev(6), ev(7));
    socket(0).drop(1012);
    await settle();
    expect(seen).toEqual([4, 5, 6, 7]);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
    s.log.push(ev(8));
    await connect(socket(1));
    expect(engine.status.value).toBe('live');
    // The socket repeats an event the catch-up already gave.
    socket(1).frame({ type: 'event', event: ev(8) });
    socket(1).frame({ type: 'event', event: ev(9) });
    expect(seen).toEqual([4, 5, 6, 7, 8, 9]);
    engine.stop();
  });

  it('on reconnect reads only the chats the list shows moved', async () => {
    const OTHER = '00000000-0000-4000-8000-000000000002';
    const s = server(3);
    const newest = new Map([[CHAT, 3], [OTHER, 5]]);
    const { engine, socket, seen } = setup(s.fetchEvents, { newestIndexes: () => Promise.resolve(newest) });
    engine.track(CHAT, 3);
    engine.track(OTHER, 5);
    engine.start();
    await connect(socket(0));
    expect(s.calls).toEqual([]);
    // While the socket is down, a message lands in CHAT alone.
    s.log.push(ev(4));
    newest.set(CHAT, 4);
    socket(0).drop(1012);
    await settle();
    expect(s.calls).toEqual([{ after: 3, wait: 0 }]);
    expect(seen).toEqual([4]);
    engine.stop();
  });

  it('reads every known chat when the chat list cannot be read', async () => {
    const s = server(3);
    const { engine, socket, seen } = setup(s.fetchEvents, { newestIndexes: () => Promise.reject(new Error('offline')) });
    engine.track(CHAT, 2);
    engine.start();
    await connect(socket(0));
    expect(s.calls).toEqual([{ after: 2, wait: 0 }]);
    expect(seen).toEqual([3]);
    engine.stop();
  });

  it('refreshes the token when the socket refuses it, then authenticates with the new one', async () => {
    const { fetchEvents } = server(0);
    const { engine, sockets, socket, tokens } = setup(fetchEvents);
    engine.start();
    socket(0).open();
    await settle();
    socket(0).drop(4401);
    await settle();
    expect(tokens.refreshed).toEqual(['token-1']);
    expect(sockets).toHaveLength(2);
    await connect(socket(1));
    expect(socket(1).sent[0]).toEqual({ type: 'auth', access_token: 'token-2' });
    expect(engine.status.value).toBe('live');
    engine.stop();
  });

  it('stops when the refresh is refused (signed out)', async () => {
    const { fetchEvents } = server(0);
    const { engine, sockets, socket } = setup(fetchEvents, { refresh: () => Promise.reject(new Error('invalid_token')) });
    engine.start();
    socket(0).open();
    await settle();
    socket(0).drop(4401);
    await settle();
    expect(engine.status.value).toBe('off');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('pings, and reconnects when no pong comes back', async () => {
    const { fetchEvents } = server(0);
    const { engine, sockets, socket } = setup(fetchEvents);
    engine.start();
    await connect(socket(0));
    await vi.advanceTimersByTimeAsync(PING_MS);
    expect(socket(0).sent.at(-1)).toEqual({ type: 'ping' });
    socket(0).frame({ type: 'pong' });
    await vi.advanceTimersByTimeAsync(PING_MS + PONG_TIMEOUT_MS);
    expect(socket(0).closed).toBe(4000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
    engine.stop();
  });
});

describe('long-poll fallback', () => {
  it('long-polls the chats on screen while the socket cannot connect, and stops once it can', async () => {
    const log: ChatEvent[] = [];
    const waits: { after: number; wait: number }[] = [];
    const hold: { release?: () => void } = {};
    const fetchEvents: LiveDeps['fetchEvents'] = (_chat, after, limit, wait, abort) => {
      waits.push({ after, wait });
      const events = log.filter((e) => e.index > after).slice(0, limit);
      if (events.length || !wait) return Promise.resolve({ events, next_after: after });
      return new Promise((resolve, reject) => {
        hold.release = () => resolve({ events: log.filter((e) => e.index > after), next_after: after });
        abort?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    };
    const { engine, socket, seen } = setup(fetchEvents);
    engine.track(CHAT, 0);
    const unwatch = engine.watch(CHAT);
    engine.start();
    for (let i = 0; i < FALLBACK_AFTER; i++) {
      socket(i).drop(1006); // never opened
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
    }
    expect(engine.status.value).toBe('polling');
    const polls = waits.filter((w) => w.wait === 25);
    expect(polls.length).toBe(1);
    log.push(ev(1), ev(2));
    hold.release?.();
    await settle();
    expect(seen).toEqual([1, 2]);
    expect(waits.filter((w) => w.wait === 25).at(-1)).toEqual({ after: 2, wait: 25 });
    // The socket works again: polling stops, the chat catches up, no event twice.
    const last = socket(-1);
    log.push(ev(3));
    await connect(last);
    expect(engine.status.value).toBe('live');
    last.frame({ type: 'event', event: ev(3) });
    expect(seen).toEqual([1, 2, 3]);
    unwatch();
    engine.stop();
  });

  it('does not poll chats that are not on screen', async () => {
    const s = server(0);
    const { engine, socket } = setup(s.fetchEvents);
    engine.track(CHAT, 0);
    engine.start();
    for (let i = 0; i < FALLBACK_AFTER; i++) {
      socket(i).drop(1006);
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
    }
    expect(engine.status.value).toBe('polling');
    expect(s.calls.filter((c) => c.wait > 0)).toEqual([]);
    engine.stop();
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and a ceiling', () => {
    const { fetchEvents } = server(0);
    const engine = new LiveEngine({ connect: () => new FakeSocket(), accessToken: () => Promise.resolve('t'), refresh: () => Promise.resolve('t'), fetchEvents, random: () => 1 });
    const internal = engine as unknown as { failures: number };
    const delays = [1, 2, 3, 4, 10].map((failures) => {
      internal.failures = failures;
      return engine.backoff();
    });
    expect(delays).toEqual([1000, 2000, 4000, 8000, 30000]);
  });
});
