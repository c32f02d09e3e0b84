import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/api/client';
import { ApiError } from '../../src/api/errors';
import { MemoryRefreshStore, TokenManager, type SignOutReason } from '../../src/api/tokens';
import type { TokenPair } from '../../src/api/types';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } });
}

function pair(n: number): TokenPair {
  return {
    access_token: `access-${n}`,
    refresh_token: `refresh-${n}`,
    token_type: 'bearer',
    expires_in: 900,
    session_id: 'session',
    user: { id: 'u1', email: 'a@example.com', username: 'a', nickname: null, email_verified: true, role: 'user', created_at: '2026-12-07T00:00:00Z' },
  };
}

/** A client over a scripted fetch; `handler` answers each call. */
function setup(handler: (call: Call, calls: Call[]) => Response | Promise<Response>, refresh = 'refresh-0') {
  const calls: Call[] = [];
  const store = new MemoryRefreshStore(refresh);
  const tokens = new TokenManager(store);
  const signedOut: SignOutReason[] = [];
  tokens.subscribe({ onSignedOut: (reason) => signedOut.push(reason) });
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const call: Call = {
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    };
    calls.push(call);
    await Promise.resolve();
    return handler(call, calls);
  });
  const client = new ApiClient({ tokens, fetch, sleep: () => Promise.resolve() });
  return { client, tokens, store, calls, signedOut, fetch };
}

const refreshes = (calls: Call[]): Call[] => calls.filter((call) => call.url === '/v1/auth/refresh');

describe('error mapping', () => {
  it('turns a problem document into an ApiError with status and code', async () => {
    const { client } = setup(() => json(409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'That address is taken.', code: 'email_taken' }));
    const error = await client.post('/v1/auth/signup', {}, { auth: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'email_taken', title: 'Conflict', detail: 'That address is taken.' });
  });

  it('keeps validation errors and finds them by field', async () => {
    const { client } = setup(() => json(422, { code: 'validation_error', errors: [{ loc: ['body', 'username'], msg: 'bad username' }] }));
    const error = (await client.post('/v1/auth/signup', {}, { auth: false }).catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('validation_error');
    expect(error.fieldMessage('username')).toBe('bad username');
    expect(error.fieldMessage('email')).toBeNull();
  });

  it('reads Retry-After and marks 429/503 as transient', async () => {
    const { client } = setup(() => json(429, { code: 'rate_limited' }, { 'Retry-After': '42' }));
    const error = (await client.get('/v1/me').catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 42 });
    expect(error.transient).toBe(true);
  });

  it('gives a code to an answer without a problem document', async () => {
    const { client } = setup(() => new Response('<html>bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }));
    const error = (await client.get('/v1/me', undefined, { auth: false }).catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 502, code: 'server_error' });
  });

  it('reports a failed connection as network_error, status 0', async () => {
    const { client } = setup(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = (await client.get('/v1/me', undefined, { auth: false }).catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect(error.transient).toBe(true);
  });
});

describe('token refresh', () => {
  it('refreshes once for two concurrent 401s and retries both with the new token', async () => {
    let n = 0;
    const { client, calls, store } = setup((call) => {
      if (call.url === '/v1/auth/refresh') {
        n += 1;
        expect((call.body as { refresh_token: string }).refresh_token).toBe('refresh-0');
        return json(200, pair(n));
      }
      return call.headers.Authorization === 'Bearer access-1' ? json(200, { ok: call.url }) : json(401, { code: 'unauthorized' });
    });
    // Start with a stale access token that the API refuses.
    client.tokens.accept({ ...pair(0), refresh_token: 'refresh-0' });
    const [a, b] = await Promise.all([client.get<{ ok: string }>('/v1/a'), client.get<{ ok: string }>('/v1/b')]);
    expect(a.ok).toBe('/v1/a');
    expect(b.ok).toBe('/v1/b');
    expect(refreshes(calls)).toHaveLength(1);
    expect(store.get()).toBe('refresh-1');
  });

  it('refreshes before the first call when only the refresh token is kept (a new start)', async () => {
    const { client, calls } = setup((call) => (call.url === '/v1/auth/refresh' ? json(200, pair(1)) : json(200, {})));
    await Promise.all([client.get('/v1/a'), client.get('/v1/b'), client.get('/v1/c')]);
    expect(refreshes(calls)).toHaveLength(1);
    expect(calls.filter((call) => call.url !== '/v1/auth/refresh').every((call) => call.headers.Authorization === 'Bearer access-1')).toBe(true);
  });

  it('signs out cleanly when the refresh token was reused (session revoked)', async () => {
    const { client, store, signedOut } = setup((call) =>
      call.url === '/v1/auth/refresh' ? json(401, { code: 'token_reused' }) : json(401, { code: 'unauthorized' }),
    );
    client.tokens.accept(pair(0));
    const error = (await client.get('/v1/me').catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 401, code: 'token_reused' });
    expect(signedOut).toEqual(['revoked']);
    expect(store.get()).toBeNull();
    expect(client.tokens.hasSession).toBe(false);
  });

  it('signs out when the refresh token is invalid, and does not call the API again', async () => {
    const { client, signedOut, calls } = setup((call) => (call.url === '/v1/auth/refresh' ? json(401, { code: 'invalid_token' }) : json(200, {})));
    await expect(client.get('/v1/me')).rejects.toMatchObject({ code: 'invalid_token' });
    expect(signedOut).toEqual(['expired']);
    await expect(client.get('/v1/me')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(calls.filter((call) => call.url === '/v1/me')).toHaveLength(0);
  });

  it('keeps the session when the refresh fails for lack of network', async () => {
    const { client, store, signedOut } = setup((call) => (call.url === '/v1/auth/refresh' ? Promise.reject(new TypeError('offline')) : json(200, {})));
    await expect(client.get('/v1/me')).rejects.toMatchObject({ code: 'network_error' });
    expect(signedOut).toEqual([]);
    expect(store.get()).toBe('refresh-0');
  });

  it('never puts a token in a URL', async () => {
    const { client, calls } = setup((call) => (call.url === '/v1/auth/refresh' ? json(200, pair(1)) : json(200, {})));
    await client.get('/v1/chats', { limit: 5 });
    expect(calls.every((call) => !/access|refresh-/.test(call.url.replace('/v1/auth/refresh', '')))).toBe(true);
  });
});

describe('writes', () => {
  it('keeps the Idempotency-Key when a 401 makes it retry', async () => {
    let refused = false;
    const { client, calls } = setup((call) => {
      if (call.url === '/v1/auth/refresh') return json(200, pair(2));
      if (!refused) {
        refused = true;
        return json(401, { code: 'unauthorized' });
      }
      return json(201, { index: 7 });
    });
    client.tokens.accept(pair(1));
    const event = await client.post<{ index: number }>('/v1/chats/c/messages', { body: 'hi' }, { idempotencyKey: true });
    expect(event.index).toBe(7);
    const posts = calls.filter((call) => call.url === '/v1/chats/c/messages');
    expect(posts).toHaveLength(2);
    const key = posts[0]?.headers['Idempotency-Key'];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]?.headers['Idempotency-Key']).toBe(key);
    expect(posts[1]?.headers.Authorization).toBe('Bearer access-2');
  });

  it('keeps a caller-given key across transient retries', async () => {
    let tries = 0;
    const { client, calls } = setup(() => {
      tries += 1;
      return tries === 1 ? Promise.reject(new TypeError('offline')) : tries === 2 ? json(503, { code: 'unavailable' }, { 'Retry-After': '1' }) : json(201, {});
    });
    await client.post('/v1/x', { a: 1 }, { auth: false, idempotencyKey: 'key-1', retries: 3 });
    expect(calls.map((call) => call.headers['Idempotency-Key'])).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it('does not retry a write without an idempotency key', async () => {
    const { client, calls } = setup(() => json(503, { code: 'unavailable' }));
    await expect(client.post('/v1/x', {}, { auth: false, retries: 3 })).rejects.toMatchObject({ code: 'unavailable' });
    expect(calls).toHaveLength(1);
  });

  it('sends If-Match from a version and reads the ETag', async () => {
    const { client, calls } = setup(() => json(200, { version: 4 }, { ETag: '"4"' }));
    const answer = await client.send('/v1/cards/c', { method: 'PATCH', body: { name: 'x' }, ifMatch: 3, auth: false });
    expect(calls[0]?.headers['If-Match']).toBe('"3"');
    expect(answer.etag).toBe('"4"');
  });

  it('takes an answer without a body (202 accepted) as done, not as an unreadable answer', async () => {
    const { client } = setup(() => new Response(null, { status: 202 }));
    await expect(client.post('/v1/auth/email/resend', { login: 'a' }, { auth: false })).resolves.toBeUndefined();
  });

  it('still refuses a body that is not JSON', async () => {
    const { client } = setup(() => new Response('<html>', { status: 200, headers: { 'Content-Type': 'text/html' } }));
    await expect(client.get('/v1/me', undefined, { auth: false })).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('maps 412 to precondition_failed', async () => {
    const { client } = setup(() => json(412, { code: 'precondition_failed' }));
    await expect(client.patch('/v1/cards/c', {}, { ifMatch: 1, auth: false })).rejects.toMatchObject({ status: 412, code: 'precondition_failed' });
  });
});

describe('signing out', () => {
  function heldServer() {
    const held: { call: Call; release: (status?: number) => void }[] = [];
    const calls: Call[] = [];
    const tokens = new TokenManager(new MemoryRefreshStore('refresh-0'));
    const fetch = vi.fn((url: string, init: RequestInit) => {
      const call: Call = { url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body };
      calls.push(call);
      if (url === '/v1/auth/refresh') return Promise.resolve(json(200, pair(calls.length)));
      return new Promise<Response>((resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
        held.push({ call, release: (status = 200) => resolve(json(status, { ok: url })) });
      });
    });
    const client = new ApiClient({ tokens, fetch, sleep: () => Promise.resolve() });
    return { held, calls, tokens, client };
  }

  it('cancels the signed-in requests in flight, and only those, and refuses new ones until the next sign-in', async () => {
    const { held, calls, tokens, client } = heldServer();
    const snapshot = client.get('/v1/sync/snapshot');
    const availability = client.get('/v1/auth/availability', undefined, { auth: false });
    await vi.waitFor(() => expect(held).toHaveLength(2));

    const signout = client.endSession('/v1/auth/signout');
    await expect(snapshot).rejects.toMatchObject({ code: 'aborted' });
    held.find((item) => item.call.url.startsWith('/v1/auth/availability'))?.release();
    await expect(availability).resolves.toEqual({ ok: '/v1/auth/availability' });
    // A sync waking from its wait while the sign-out is under way is not sent.
    await expect(client.get('/v1/sync/changes')).rejects.toMatchObject({ code: 'aborted' });
    await vi.waitFor(() => expect(held).toHaveLength(3));
    held[2]?.release();
    await expect(signout).resolves.toBeUndefined();
    await expect(client.get('/v1/sync/changes')).rejects.toMatchObject({ code: 'aborted' });
    expect(calls.map((call) => call.url).sort()).toEqual(['/v1/auth/availability', '/v1/auth/refresh', '/v1/auth/signout', '/v1/sync/snapshot']);

    // The next sign-in sends again.
    tokens.accept(pair(9));
    const profiles = client.get('/v1/profiles');
    await vi.waitFor(() => expect(held).toHaveLength(4));
    held[3]?.release();
    await expect(profiles).resolves.toEqual({ ok: '/v1/profiles' });
  });

  it('goes on as before when the sign-out call fails', async () => {
    const { held, client } = heldServer();
    const signout = client.endSession('/v1/auth/signout-all');
    await vi.waitFor(() => expect(held).toHaveLength(1));
    held[0]?.release(503);
    await expect(signout).rejects.toMatchObject({ status: 503 });
    const profiles = client.get('/v1/profiles');
    await vi.waitFor(() => expect(held).toHaveLength(2));
    held[1]?.release();
    await expect(profiles).resolves.toEqual({ ok: '/v1/profiles' });
  });
});
