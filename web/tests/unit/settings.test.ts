import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Chat, ChatEvent, TokenPair } from '../../src/api/types';

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  dump(): string {
    return JSON.stringify([...this.items]);
  }
}

const storage = new MemoryStorage();
vi.stubGlobal('localStorage', storage);
vi.stubGlobal('sessionStorage', new MemoryStorage());

const user = { id: 'u1', email: 'a@example.com', username: 'ada', nickname: null, email_verified: true, role: 'user' as const, created_at: '2026-12-07T00:00:00Z' };
const pair: TokenPair = { access_token: 'access-1', refresh_token: 'refresh-1', token_type: 'bearer', expires_in: 900, session_id: 's1', user };
const chat = (id: string, muted: boolean) => ({ id, title: id, direct: false, owner_profile_id: 'p1', my_profile_id: 'p1', participant_count: 2, last_event_index: 0, last_event_at: null, unread_count: 0, read_index: 0, muted, created_at: '2026-12-07T00:00:00Z' });

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

type Handler = (method: string, url: string, body: unknown) => Response;
let handler: Handler = () => json(500, {});
const calls: string[] = [];
vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
  const method = init.method ?? 'GET';
  calls.push(`${method} ${url}`);
  return Promise.resolve(handler(method, url, typeof init.body === 'string' ? JSON.parse(init.body) : undefined));
});

let settings: typeof import('../../src/data/settings');
let chats: typeof import('../../src/data/chat');
let session: typeof import('../../src/data/session');
beforeAll(async () => {
  settings = await import('../../src/data/settings');
  chats = await import('../../src/data/chat');
  session = await import('../../src/data/session');
  handler = () => json(200, pair);
  await session.signIn('ada', 'password');
});

describe('app passwords', () => {
  it('lists, creates (the secret only in the answer) and revokes', async () => {
    const listed = { id: 'a1', name: 'Old phone', created_at: '2026-12-01T00:00:00Z', last_used_at: null };
    handler = () => json(200, { items: [listed], next_cursor: null });
    const query = settings.appPasswordsQuery();
    await query.load();
    expect(query.data.value).toEqual([listed]);

    handler = (method, url, body) => {
      expect([method, url, body]).toEqual(['POST', '/v1/app-passwords', { name: 'Pixel' }]);
      return json(201, { id: 'a2', name: 'Pixel', created_at: '2026-12-07T00:00:00Z', last_used_at: null, password: 'abcd-efgh-jkmn-pqrs-tuvw', username: 'ada', server_url: 'https://bca.test/dav/' });
    };
    const created = await settings.createAppPassword('Pixel');
    expect(created.password).toBe('abcd-efgh-jkmn-pqrs-tuvw');
    expect(query.data.value?.map((item) => item.id)).toEqual(['a2', 'a1']);
    // The list keeps no secret, and nothing stores it.
    expect(JSON.stringify(query.data.value)).not.toContain('abcd');
    expect(storage.dump()).not.toContain('abcd');

    handler = (method, url) => {
      expect([method, url]).toEqual(['DELETE', '/v1/app-passwords/a1']);
      return new Response(null, { status: 204 });
    };
    await settings.revokeAppPassword('a1');
    expect(query.data.value?.map((item) => item.id)).toEqual(['a2']);
  });

  it('reads the CardDAV address and username from the server', async () => {
    handler = (method, url) => {
      expect([method, url]).toEqual(['GET', '/v1/app-passwords/setup']);
      return json(200, { server_url: 'https://bca.test/dav/', username: 'ada', email: 'a@example.com' });
    };
    const setup = settings.carddavSetupQuery();
    await setup.load();
    expect(setup.data.value?.server_url).toBe('https://bca.test/dav/');
  });
});

describe('mute per chat', () => {
  it('patches the chat and updates the chat list in place', async () => {
    handler = () => json(200, { items: [chat('c1', false), chat('c2', false)], next_cursor: null });
    const list = chats.chatsQuery();
    await list.load();
    handler = (method, url, body) => {
      expect([method, url, body]).toEqual(['PATCH', '/v1/chats/c2', { muted: true }]);
      return json(200, chat('c2', true));
    };
    await settings.setChatMuted('c2', true);
    expect(list.data.value?.map((item) => [item.id, item.muted])).toEqual([['c1', false], ['c2', true]]);
  });
});

describe('unread count', () => {
  const event = (index: number, type: ChatEvent['type'], profile: string) => ({ chat_id: 'c1', index, type, profile_id: profile, created_at: '2026-12-07T00:00:00Z' });
  it('counts the messages of others, not reactions, pins or edits, and none after my own', () => {
    let state: Chat = chat('c1', false);
    for (const [index, type, profile] of [[1, 'message', 'p2'], [2, 'reaction_added', 'p2'], [3, 'message_pinned', 'p2'], [4, 'message_edited', 'p2'], [5, 'message', 'p2']] as const) {
      state = chats.chatAfterEvent(state, event(index, type, profile));
    }
    expect([state.last_event_index, state.unread_count]).toEqual([5, 2]);
    state = chats.chatAfterEvent(state, event(6, 'message', 'p1'));
    expect([state.read_index, state.unread_count]).toEqual([6, 0]);
  });
});
