/**
 * Tokens: the access token lives in memory only; the refresh token is persisted so that the
 * app stays signed in across starts. Refresh rotates exactly as the API does (every use spends
 * the token and hands out a new pair; a spent one presented again revokes the whole session),
 * so refreshing is single-flight: one at a time in this tab (a shared promise) and across tabs
 * (the Web Locks API), and the refresh token is always read from storage inside the lock, so a
 * tab never presents a token another tab has already spent.
 */
import { ApiError } from './errors';
import type { TokenPair, User } from './types';

/** Where the refresh token is kept between starts. */
export interface RefreshStore {
  get(): string | null;
  set(token: string | null): void;
  /** Calls back when another tab changed the stored token; returns an unsubscribe. */
  watch?(callback: (token: string | null) => void): () => void;
}

/** Why the session ended, for the screen that says so. */
export type SignOutReason = 'signed_out' | 'expired' | 'revoked';

export const REFRESH_KEY = 'bca.refresh';
const LOCK_NAME = 'bca.refresh';

/**
 * localStorage: synchronous (no await before the lock's read), shared by the tabs of the origin,
 * with a `storage` event that tells the other tabs of a rotation or a sign-out. IndexedDB would
 * protect nothing more against script running in our origin, and a service worker does not need
 * the token (push and the offline shell go without it).
 */
export class LocalRefreshStore implements RefreshStore {
  get(): string | null {
    try {
      return localStorage.getItem(REFRESH_KEY);
    } catch {
      return null;
    }
  }

  set(token: string | null): void {
    try {
      if (token === null) localStorage.removeItem(REFRESH_KEY);
      else localStorage.setItem(REFRESH_KEY, token);
    } catch {
      // Storage refused (private mode quota): the session lasts as long as the tab.
    }
  }

  watch(callback: (token: string | null) => void): () => void {
    if (typeof window === 'undefined') return () => undefined;
    const listener = (event: StorageEvent): void => {
      if (event.key === REFRESH_KEY || event.key === null) callback(event.newValue);
    };
    window.addEventListener('storage', listener);
    return () => window.removeEventListener('storage', listener);
  }
}

export class MemoryRefreshStore implements RefreshStore {
  constructor(private token: string | null = null) {}
  get(): string | null {
    return this.token;
  }
  set(token: string | null): void {
    this.token = token;
  }
}

/** Runs `work` holding the cross-tab lock when the browser has one, else just runs it. */
export async function withRefreshLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks) return work();
  return locks.request(LOCK_NAME, work);
}

/** Posts `{refresh_token}` to `/v1/auth/refresh`; the client provides it (no cycle). */
export type RefreshCall = (refreshToken: string) => Promise<TokenPair>;

export interface TokenEvents {
  /** A new pair arrived (sign-in or refresh). */
  onTokens?(pair: TokenPair): void;
  /** The session is over: the refresh token was refused, revoked, or removed by another tab. */
  onSignedOut?(reason: SignOutReason): void;
}

export class TokenManager {
  private access: string | null = null;
  private accessExpiresAt = 0;
  private inflight: Promise<string> | null = null;
  private listeners = new Set<TokenEvents>();
  private refreshCall: RefreshCall | null = null;

  constructor(
    readonly store: RefreshStore,
    private readonly now: () => number = () => Date.now(),
  ) {
    store.watch?.((token) => {
      // Another tab signed out (the token is gone): this tab's session ended with it.
      if (token === null && this.access !== null) this.end('signed_out');
      // Another tab rotated: this tab's access token is still valid until it expires.
    });
  }

  /** The client registers how to call the refresh endpoint. */
  bindRefresh(call: RefreshCall): void {
    this.refreshCall = call;
  }

  subscribe(events: TokenEvents): () => void {
    this.listeners.add(events);
    return () => this.listeners.delete(events);
  }

  /** True when a refresh token is stored: the app can try to resume the session. */
  get hasSession(): boolean {
    return this.access !== null || this.store.get() !== null;
  }

  /** The access token when it is fresh (30 s of margin), else null. */
  currentAccess(): string | null {
    return this.access !== null && this.now() < this.accessExpiresAt - 30_000 ? this.access : null;
  }

  /** Keeps a pair from sign-in or refresh. */
  accept(pair: TokenPair): void {
    this.access = pair.access_token;
    this.accessExpiresAt = this.now() + pair.expires_in * 1000;
    this.store.set(pair.refresh_token);
    for (const listener of this.listeners) listener.onTokens?.(pair);
  }

  /** An access token to send: the fresh one, or a refreshed one. Rejects with ApiError 401 when signed out. */
  async accessToken(): Promise<string> {
    return this.currentAccess() ?? this.refresh(null);
  }

  /**
   * Single-flight refresh. `rejected` is the access token a 401 just refused: when another
   * caller has already replaced it, the new one is used without refreshing again.
   */
  refresh(rejected: string | null): Promise<string> {
    if (rejected !== null && this.access !== null && this.access !== rejected && this.currentAccess()) {
      return Promise.resolve(this.access);
    }
    if (this.inflight) return this.inflight;
    const before = this.access;
    this.inflight = withRefreshLock(async () => {
      // Another tab (or an earlier flight) may have rotated while we waited for the lock.
      if (this.access !== before && this.currentAccess()) return this.access as string;
      const stored = this.store.get();
      if (stored === null || this.refreshCall === null) {
        this.end('expired');
        throw new ApiError({ status: 401, code: 'unauthorized', title: 'Signed out' });
      }
      let pair: TokenPair;
      try {
        pair = await this.refreshCall(stored);
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 400 || error.status === 403)) {
          // invalid_token (expired, revoked) or token_reused (the session is now revoked).
          this.end(error.code === 'token_reused' ? 'revoked' : 'expired');
        }
        throw error;
      }
      this.accept(pair);
      return pair.access_token;
    }).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Forgets every token of this session (after sign-out, or when the API refused them). */
  clear(): void {
    this.access = null;
    this.accessExpiresAt = 0;
    this.store.set(null);
  }

  private end(reason: SignOutReason): void {
    this.clear();
    for (const listener of this.listeners) listener.onSignedOut?.(reason);
  }

  /** The signed-in user's sign-out: clears and tells the listeners. */
  signedOut(reason: SignOutReason = 'signed_out'): void {
    this.end(reason);
  }
}

export type { User };
