import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/api/client';
import { MemoryRefreshStore, TokenManager, type SignOutReason } from '../../src/api/tokens';
import type { TokenPair } from '../../src/api/types';

/** navigator.locks as the browser gives it: one holder of a name at a time, in order. */
function fakeLocks(): LockManager {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request: (name: string, callback: () => Promise<unknown>) => {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(callback, callback);
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  } as unknown as LockManager;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

/** The API's rotation: each refresh token works once; a spent one revokes the session. */
function server() {
  let live = 'refresh-0';
  let n = 0;
  let revoked = false;
  const presented: string[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (url !== '/v1/auth/refresh') return json(200, {});
    const token = (JSON.parse(init.body as string) as { refresh_token: string }).refresh_token;
    presented.push(token);
    if (revoked || token !== live) {
      revoked = true;
      return json(401, { code: 'token_reused' });
    }
    n += 1;
    live = `refresh-${n}`;
    const pair: TokenPair = {
      access_token: `access-${n}`,
      refresh_token: live,
      token_type: 'bearer',
      expires_in: 900,
      session_id: 's',
      user: { id: 'u', email: 'a@example.com', username: 'a', nickname: null, email_verified: true, role: 'user', created_at: '2026-12-07T00:00:00Z' },
    };
    return json(200, pair);
  };
  return { fetch, presented, isRevoked: () => revoked };
}

/** Two tabs: two token managers over one shared storage (localStorage in the browser). */
function twoTabs(fetch: (url: string, init: RequestInit) => Promise<Response>) {
  const store = new MemoryRefreshStore('refresh-0');
  const signedOut: SignOutReason[] = [];
  const tabs = [0, 1].map(() => {
    const tokens = new TokenManager(store);
    tokens.subscribe({ onSignedOut: (reason) => signedOut.push(reason) });
    return new ApiClient({ tokens, fetch, sleep: () => Promise.resolve() });
  });
  return { tabs, signedOut, store };
}

afterEach(() => vi.unstubAllGlobals());

describe('refresh across tabs', () => {
  it('rotates one after the other under the lock, each tab presenting the live token', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const api = server();
    const { tabs, signedOut, store } = twoTabs(api.fetch);
    await Promise.all(tabs.map((tab) => tab.get('/v1/me')));
    expect(api.presented).toEqual(['refresh-0', 'refresh-1']);
    expect(api.isRevoked()).toBe(false);
    expect(signedOut).toEqual([]);
    expect(store.get()).toBe('refresh-2');
  });

  it('without the lock two tabs present one token twice and the session is revoked (why the lock exists)', async () => {
    vi.stubGlobal('navigator', {});
    const api = server();
    const { tabs } = twoTabs(api.fetch);
    await Promise.allSettled(tabs.map((tab) => tab.get('/v1/me')));
    expect(api.presented).toEqual(['refresh-0', 'refresh-0']);
    expect(api.isRevoked()).toBe(true);
  });
});
