import { describe, expect, it } from 'vitest';
import type { ChatEvent, EventsPage } from '../../src/api/types';
import { ChatRoom, HISTORY_PAGE, type Fetcher } from '../../src/data/chat-room';

const CHAT = 'chat';

function ev(index: number, extra: Partial<ChatEvent> = {}): ChatEvent {
  return { chat_id: CHAT, index, type: 'message', profile_id: 'p', created_at: '2026-12-07T00:00:00Z', body: `m${index}`, ...extra };
}

function server(count: number, hidden: (i: number) => boolean = () => false) {
  const calls: { after: number; limit: number }[] = [];
  const fetch: Fetcher = (_chat, after, limit) => {
    calls.push({ after, limit });
    const events: ChatEvent[] = [];
    for (let i = after + 1; i <= count && events.length < limit; i++) if (!hidden(i)) events.push(ev(i));
    const page: EventsPage = { events, next_after: events.at(-1)?.index ?? after };
    return Promise.resolve(page);
  };
  return { calls, fetch };
}

const indices = (room: ChatRoom): number[] => room.events.value.map((e) => e.index);

describe('ChatRoom', () => {
  it('opens at the newest page and scrolls back page by page to the first event', async () => {
    const total = 10_000;
    const { calls, fetch } = server(total);
    const room = new ChatRoom(CHAT, fetch);
    await room.start(total);
    expect(indices(room)).toEqual(Array.from({ length: HISTORY_PAGE }, (_, i) => total - HISTORY_PAGE + 1 + i));
    expect(room.hasOlder.value).toBe(true);
    expect(calls[0]).toEqual({ after: total - HISTORY_PAGE, limit: HISTORY_PAGE });
    const before = calls.length;
    expect(await room.loadOlder()).toBe(HISTORY_PAGE);
    // One range read per page: exactly the page before the oldest loaded.
    expect(calls.slice(before)).toEqual([{ after: total - 2 * HISTORY_PAGE, limit: HISTORY_PAGE }]);
    expect(indices(room)[0]).toBe(total - 2 * HISTORY_PAGE + 1);
    for (let i = 0; i < 300 && room.hasOlder.value; i++) await room.loadOlder();
    expect(indices(room)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(room.hasOlder.value).toBe(false);
  });

  it('reads further back past indices it may not see (time away from the chat)', async () => {
    const { fetch } = server(300, (i) => i > 20 && i <= 250);
    const room = new ChatRoom(CHAT, fetch);
    await room.start(300);
    expect(indices(room)[0]).toBe(251);
    expect(await room.loadOlder()).toBe(20);
    expect(indices(room).slice(0, 3)).toEqual([1, 2, 3]);
    expect(room.hasOlder.value).toBe(false);
  });

  it('keeps one event per index whatever mixes pages and live events', async () => {
    const { fetch } = server(60);
    const room = new ChatRoom(CHAT, fetch);
    room.apply(ev(59), true);
    room.apply(ev(61), true);
    await room.start(60);
    room.apply(ev(61), true);
    room.apply(ev(62), true);
    room.merge([ev(30), ev(62)]);
    const list = indices(room);
    expect(list).toEqual([...new Set(list)].sort((a, b) => a - b));
    expect(list.slice(-3)).toEqual([60, 61, 62]);
  });

  it('applies live edits and deletions to the loaded message, replacing only its object', async () => {
    const { fetch } = server(3);
    const room = new ChatRoom(CHAT, fetch);
    await room.start(3);
    const [first, second] = room.events.value;
    room.apply(ev(4, { type: 'message_edited', target_index: 2, body: 'changed', created_at: '2026-12-07T01:00:00Z' }), true);
    expect(room.find(2)).toMatchObject({ body: 'changed', edited_at: '2026-12-07T01:00:00Z' });
    expect(room.events.value[0]).toBe(first);
    expect(room.events.value[1]).not.toBe(second);
    room.apply(ev(5, { type: 'message_deleted', target_index: 1 }), true);
    expect(room.find(1)).toMatchObject({ body: null, deleted_at: '2026-12-07T00:00:00Z' });
  });

  it('keeps a pending message and its key until it lands', () => {
    const room = new ChatRoom(CHAT, server(0).fetch);
    const one = room.queue('hi', null, null);
    room.updatePending(one.key, { status: 'failed' });
    expect(room.pending.value).toEqual([{ ...one, status: 'failed' }]);
    room.removePending(one.key);
    expect(room.pending.value).toEqual([]);
  });
});

describe('ChatRoom: a page overlapping live edits and deletions', () => {
  function deferred(): { fetch: Fetcher; resolve: (page: EventsPage) => void } {
    let resolve: (page: EventsPage) => void = () => undefined;
    const fetch: Fetcher = () => new Promise<EventsPage>((done) => { resolve = done; });
    return { fetch, resolve: (page) => resolve(page) };
  }

  it('keeps a live edit that arrived before the (older) page holding its message', async () => {
    const { fetch, resolve } = deferred();
    const room = new ChatRoom(CHAT, fetch);
    const started = room.start(2);
    // The page was read before the edit; the edit comes live first.
    room.apply(ev(3, { type: 'message_edited', target_index: 1, body: 'new', created_at: '2026-12-07T00:01:00Z' }), true);
    resolve({ events: [ev(1, { body: 'old' }), ev(2)], next_after: 2 });
    await started;
    expect(room.find(1)?.body).toBe('new');
    expect(room.find(1)?.edited_at).toBe('2026-12-07T00:01:00Z');
    expect(room.events.value.find((e) => e.index === 1)?.body).toBe('new');
  });

  it('keeps a live deletion that arrived before the page holding its message', async () => {
    const { fetch, resolve } = deferred();
    const room = new ChatRoom(CHAT, fetch);
    const started = room.start(2);
    room.apply(ev(3, { type: 'message_deleted', target_index: 2, body: null, created_at: '2026-12-07T00:01:00Z' }), true);
    resolve({ events: [ev(1), ev(2, { body: 'gone' })], next_after: 2 });
    await started;
    expect(room.find(2)?.body).toBeNull();
    expect(room.find(2)?.deleted_at).toBe('2026-12-07T00:01:00Z');
  });

  it('does not let an older edit overwrite a copy that already shows a newer one', () => {
    const room = new ChatRoom(CHAT, server(0).fetch);
    room.merge([ev(1, { body: 'second', edited_at: '2026-12-07T00:02:00Z' })]);
    room.merge([ev(2, { type: 'message_edited', target_index: 1, body: 'first', created_at: '2026-12-07T00:01:00Z' })]);
    expect(room.find(1)?.body).toBe('second');
    room.merge([ev(3, { type: 'message_edited', target_index: 1, body: 'third', created_at: '2026-12-07T00:03:00Z' })]);
    expect(room.find(1)?.body).toBe('third');
  });

  describe('my edits and deletions waiting in the outbox', () => {
    const find = (room: ChatRoom, index: number): ChatEvent | undefined => room.events.value.find((e) => e.index === index);

    it('show at once, also when made before the message was loaded (a reload offline)', async () => {
      const { fetch } = server(10);
      const room = new ChatRoom(CHAT, fetch);
      room.changeLocally(9, { body: 'fixed' }, '2026-12-07T01:00:00Z');
      room.changeLocally(10, { deleted: true }, '2026-12-07T01:00:00Z');
      await room.start(10);
      expect(find(room, 9)).toMatchObject({ body: 'fixed', edited_at: '2026-12-07T01:00:00Z' });
      expect(find(room, 10)).toMatchObject({ body: null, deleted_at: '2026-12-07T01:00:00Z' });
      expect([...room.waiting.value].sort()).toEqual([10, 9]);
      room.changeLocally(8, { body: 'also' });
      expect(find(room, 8)?.body).toBe('also');
    });

    it('stay when sent, and give way to the server version when refused', async () => {
      const { fetch } = server(10);
      const room = new ChatRoom(CHAT, fetch);
      await room.start(10);
      room.changeLocally(9, { body: 'fixed' });
      room.changeLocally(8, { body: 'wrong' });
      room.settleLocally(9, true);
      room.settleLocally(8, false);
      expect(find(room, 9)?.body).toBe('fixed');
      expect(find(room, 8)).toEqual(ev(8));
      expect(room.waiting.value.size).toBe(0);
    });

    it('never undo a later change: the owner deleted the message meanwhile', async () => {
      const { fetch } = server(10);
      const room = new ChatRoom(CHAT, fetch);
      await room.start(10);
      room.changeLocally(9, { body: 'fixed' }, '2026-12-07T01:00:00Z');
      room.apply(ev(11, { type: 'message_deleted', target_index: 9, body: null, created_at: '2026-12-07T02:00:00Z' }), true);
      room.settleLocally(9, false);
      expect(find(room, 9)?.deleted_at).toBe('2026-12-07T02:00:00Z');
    });

    it('stay shown over an older edit of the server that a page brings in later', async () => {
      const { fetch } = server(60);
      const room = new ChatRoom(CHAT, fetch);
      await room.start(60);
      room.changeLocally(55, { body: 'mine' }, '2026-12-07T01:00:00Z');
      // An edit event older than the loaded pages, read with the page before them.
      room.merge([ev(5, { type: 'message_edited', target_index: 55, body: 'earlier', created_at: '2026-12-07T00:30:00Z' })]);
      expect(find(room, 5)).toBeDefined();
      expect(find(room, 55)?.body).toBe('mine');
    });
  });
});

describe('ChatRoom: link previews', () => {
  const preview = { url: 'https://example.com/', title: 'Example', description: null, site_name: 'example.com', image: null };
  const previewEvent = (index: number, target: number): ChatEvent => ev(index, { type: 'message_preview', body: null, target_index: target, preview });

  it('attaches a live preview to its loaded message, shown without a row of its own', async () => {
    const { fetch } = server(3);
    const room = new ChatRoom(CHAT, fetch);
    await room.start(3);
    const before = room.events.value[0];
    room.apply(previewEvent(4, 2), true);
    expect(room.find(2)?.preview).toEqual(preview);
    expect(room.events.value[0]).toBe(before); // only the previewed message changed
    expect(room.events.value.map((e) => e.type)).toEqual(['message', 'message', 'message', 'message_preview']);
  });

  it('attaches a preview that arrived before the page holding its message', async () => {
    const { fetch } = server(3);
    const room = new ChatRoom(CHAT, fetch);
    room.apply(previewEvent(4, 1), true);
    await room.start(3);
    expect(room.find(1)?.preview).toEqual(preview);
  });
});

describe('ChatRoom conversations', () => {
  it('applies live reactions (counts from the event, mine for my own) and counts live replies', async () => {
    const { fetch } = server(3);
    const room = new ChatRoom(CHAT, fetch);
    room.me = 'me';
    await room.start(3);
    const byOther = ev(4, { type: 'reaction_added', profile_id: 'other', body: '👍', target_index: 2, reactions: [{ emoji: '👍', count: 1, mine: false }] });
    room.apply(byOther, true);
    expect(room.find(2)?.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
    const byMe = ev(5, { type: 'reaction_added', profile_id: 'me', body: '👍', target_index: 2, reactions: [{ emoji: '👍', count: 2, mine: false }] });
    room.apply(byMe, true);
    expect(room.find(2)?.reactions).toEqual([{ emoji: '👍', count: 2, mine: true }]);
    // Another's change keeps my flag; my removal clears it.
    room.apply(ev(6, { type: 'reaction_removed', profile_id: 'other', body: '👍', target_index: 2, reactions: [{ emoji: '👍', count: 1, mine: false }] }), true);
    expect(room.find(2)?.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    room.apply(ev(7, { type: 'reaction_removed', profile_id: 'me', body: '👍', target_index: 2, reactions: [] }), true);
    expect(room.find(2)?.reactions).toEqual([]);
    // A reply counts on its root; the same event twice counts once.
    const reply = ev(8, { target_index: 1, created_at: '2026-12-07T01:00:00Z' });
    room.apply(reply, true);
    room.apply(reply, true);
    expect(room.find(1)?.reply_count).toBe(1);
    expect(room.find(1)?.last_reply_at).toBe('2026-12-07T01:00:00Z');
    expect(indices(room)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
