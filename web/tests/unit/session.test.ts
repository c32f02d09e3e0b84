import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TokenPair } from '../../src/api/types';

/** localStorage as the browser has it, for the modules that keep tokens and the user there. */
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
  clear(): void {
    this.items.clear();
  }
  dump(): string {
    return JSON.stringify([...this.items]);
  }
}

const storage = new MemoryStorage();
vi.stubGlobal('localStorage', storage);
vi.stubGlobal('sessionStorage', new MemoryStorage());

const user = { id: 'u1', email: 'a@example.com', username: 'ada', nickname: 'Ada', email_verified: true, role: 'user' as const, created_at: '2026-12-07T00:00:00Z' };
const pair = (n: number): TokenPair => ({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'bearer', expires_in: 900, session_id: 's1', user });

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;
let handler: Handler = () => json(500, {});
const urls: string[] = [];
vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
  urls.push(`${init.method ?? 'GET'} ${url}`);
  return Promise.resolve(handler(url, init));
});

// Imported after the globals are in place (the modules read storage when they load).
let session: typeof import('../../src/data/session');
let query: typeof import('../../src/data/query');
let tokens: typeof import('../../src/api').tokens;
/** The modules as a new start of the app finds them (after a sign-out, a page is new). */
async function load(): Promise<void> {
  vi.resetModules();
  session = await import('../../src/data/session');
  query = await import('../../src/data/query');
  tokens = (await import('../../src/api')).tokens;
}
beforeAll(load);

describe('session', () => {
  it('starts signed out when nothing is stored, without calling the API', async () => {
    await session.startSession();
    expect(session.session.value).toEqual({ status: 'signed_out', reason: null });
    expect(urls).toEqual([]);
  });

  it('signs in: keeps the refresh token and the user, not the access token', async () => {
    handler = () => json(200, pair(1));
    await session.signIn('ada', 'pw');
    expect(session.session.value.status).toBe('signed_in');
    expect(session.currentUser.value?.username).toBe('ada');
    expect(storage.getItem('bca.refresh')).toBe('refresh-1');
    expect(storage.dump()).not.toContain('access-1');
    expect(urls).toEqual(['POST /v1/auth/signin']);
  });

  it('signs out: tells the API, forgets tokens, user and cached data', async () => {
    const cached = query.query('profiles:mine', () => Promise.resolve(['p']));
    await cached.load();
    handler = (url) => (url === '/v1/auth/signout' ? json(204, undefined) : json(500, {}));
    urls.length = 0;
    await session.signOut();
    expect(urls).toEqual(['POST /v1/auth/signout']);
    expect(session.session.value).toEqual({ status: 'signed_out', reason: 'signed_out' });
    expect(storage.getItem('bca.refresh')).toBeNull();
    expect(storage.getItem('bca.user')).toBeNull();
    expect(cached.data.value).toBeUndefined();
  });

  it('resumes a stored session at start by refreshing', async () => {
    await load();
    storage.setItem('bca.refresh', 'refresh-1');
    handler = (url) => (url === '/v1/auth/refresh' ? json(200, pair(2)) : json(200, user));
    urls.length = 0;
    await session.startSession();
    expect(urls).toEqual(['POST /v1/auth/refresh', 'GET /v1/me']);
    expect(session.session.value.status).toBe('signed_in');
    expect(storage.getItem('bca.refresh')).toBe('refresh-2');
  });

  it('starts offline with the remembered user (the next issue reads the local database then)', async () => {
    tokens.clear();
    storage.setItem('bca.refresh', 'refresh-2');
    storage.setItem('bca.user', JSON.stringify(user));
    handler = () => Promise.reject(new TypeError('offline'));
    await session.startSession();
    expect(session.session.value.status).toBe('signed_in');
    expect(storage.getItem('bca.refresh')).toBe('refresh-2');
  });

  it('lands signed out, reason revoked, when the stored token was reused', async () => {
    tokens.clear();
    storage.setItem('bca.refresh', 'refresh-0');
    handler = (url) => (url === '/v1/auth/refresh' ? json(401, { code: 'token_reused' }) : json(200, user));
    await session.startSession();
    expect(session.session.value).toEqual({ status: 'signed_out', reason: 'revoked' });
    expect(storage.getItem('bca.refresh')).toBeNull();
    expect(storage.getItem('bca.user')).toBeNull();
  });
});
