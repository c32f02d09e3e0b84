import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../src/api/client';
import { ApiError } from '../../src/api/errors';
import { MemoryRefreshStore, TokenManager, type SignOutReason } from '../../src/api/tokens';
import type { TokenPair } from '../../src/api/types';

const pair: TokenPair = {
  access_token: 'access-1',
  refresh_token: 'refresh-1',
  token_type: 'bearer',
  expires_in: 900,
  session_id: 'session',
  user: { id: 'u1', email: 'a@example.com', username: 'a', nickname: null, email_verified: true, role: 'user', created_at: '2026-12-07T00:00:00Z' },
};

function problem(status: number, code: string): Response {
  return new Response(JSON.stringify({ status, code }), { status, headers: { 'Content-Type': 'application/problem+json' } });
}

describe('a wrong password on a signed-in call (password change, deactivation)', () => {
  it('rejects with invalid_credentials without refreshing, retrying or signing out', async () => {
    const urls: string[] = [];
    const tokens = new TokenManager(new MemoryRefreshStore('refresh-1'));
    const signedOut: SignOutReason[] = [];
    tokens.subscribe({ onSignedOut: (reason) => signedOut.push(reason) });
    tokens.accept(pair);
    const fetch = vi.fn((url: string) => {
      urls.push(url);
      return Promise.resolve(problem(401, 'invalid_credentials'));
    });
    const client = new ApiClient({ tokens, fetch, sleep: () => Promise.resolve() });
    const error = await client.post('/v1/auth/password/change', { current_password: 'x', new_password: 'y' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_credentials' });
    // One call: a retry would count a second wrong password towards the lockout.
    expect(urls).toEqual(['/v1/auth/password/change']);
    expect(signedOut).toEqual([]);
    expect(tokens.hasSession).toBe(true);
  });

  it('still refreshes on any other 401', async () => {
    const urls: string[] = [];
    const tokens = new TokenManager(new MemoryRefreshStore('refresh-1'));
    tokens.accept(pair);
    const fetch = vi.fn((url: string, init: RequestInit) => {
      urls.push(url);
      if (url === '/v1/auth/refresh') return Promise.resolve(new Response(JSON.stringify({ ...pair, access_token: 'access-2', refresh_token: 'refresh-2' }), { status: 200, headers: { 'Content-Type': 'application/json' } }));
      const auth = (init.headers as Record<string, string>).Authorization;
      return Promise.resolve(auth === 'Bearer access-2' ? new Response(null, { status: 204 }) : problem(401, 'unauthorized'));
    });
    const client = new ApiClient({ tokens, fetch, sleep: () => Promise.resolve() });
    await client.post('/v1/auth/password/change', {});
    expect(urls).toEqual(['/v1/auth/password/change', '/v1/auth/refresh', '/v1/auth/password/change']);
  });
});
