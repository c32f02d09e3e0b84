/**
 * Session and account: who is signed in, and every account command. Screens read `session`
 * and call the functions below; errors reject as ApiError (branch on `code`).
 */
import { computed, signal } from '@preact/signals';
import { api, tokens, type SessionInfo, type SignOutReason, type TokenPair, type User } from '../api';
import { clearQueries, query, type Query } from './query';
import { allPages } from './pages';

export type SessionState =
  | { status: 'starting' }
  | { status: 'signed_out'; reason: SignOutReason | null }
  | { status: 'signed_in'; user: User; sessionId: string | null };

const USER_KEY = 'bca.user';
const PENDING_KEY = 'bca.pending_login';

export const session = signal<SessionState>({ status: 'starting' });
/** The signed-in user, or null. */
export const currentUser = computed(() => (session.value.status === 'signed_in' ? session.value.user : null));

/** Things to run when the session ends (each data module forgets what it held). */
const signOutHooks = new Set<() => void>();
export function onSignOut(hook: () => void): () => void {
  signOutHooks.add(hook);
  return () => signOutHooks.delete(hook);
}

function remember(user: User | null): void {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
    else localStorage.removeItem(USER_KEY);
  } catch {
    /* storage refused */
  }
}

function remembered(): User | null {
  try {
    const text = localStorage.getItem(USER_KEY);
    return text ? (JSON.parse(text) as User) : null;
  } catch {
    return null;
  }
}

function ended(reason: SignOutReason | null): void {
  remember(null);
  clearQueries();
  for (const hook of signOutHooks) hook();
  session.value = { status: 'signed_out', reason };
}

tokens.subscribe({
  onTokens(pair: TokenPair) {
    remember(pair.user);
    const current = session.value;
    if (current.status !== 'signed_in' || current.user.id !== pair.user.id) {
      session.value = { status: 'signed_in', user: pair.user, sessionId: pair.session_id };
    } else if (current.sessionId !== pair.session_id) {
      // A start from the remembered user learns its session at the first refresh (the same
      // user object: nothing keyed on the user starts over).
      session.value = { ...current, sessionId: pair.session_id };
    }
  },
  onSignedOut(reason) {
    if (session.value.status !== 'signed_out') ended(reason);
  },
});

/** The session's id when a token answer told it (the refresh at start does). */
function knownSessionId(): string | null {
  const current = session.peek();
  return current.status === 'signed_in' ? current.sessionId : null;
}

/** At start: resume the stored session (refreshing its tokens), or land signed out. */
export async function startSession(): Promise<void> {
  if (!tokens.hasSession) {
    session.value = { status: 'signed_out', reason: null };
    return;
  }
  try {
    const user = await api.get<User>('/v1/me');
    remember(user);
    session.value = { status: 'signed_in', user, sessionId: knownSessionId() };
  } catch (error) {
    const user = remembered();
    // Offline or the server is down: keep the session and show what we know (issue 23 reads
    // the local database here). A refused session has already signed us out.
    if (tokens.hasSession && user) session.value = { status: 'signed_in', user, sessionId: knownSessionId() };
    else if (session.value.status !== 'signed_out') ended(null);
    if (!(error instanceof Error)) throw error;
  }
}

function deviceName(): string {
  const agent = typeof navigator !== 'undefined' ? navigator.userAgent : '';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Windows/.test(agent) ? 'Windows' : /Mac/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : 'Web';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrome\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'browser';
  return `B.Ca app · ${browser} on ${system}`;
}

export interface SignUpInput {
  email: string;
  username: string;
  password: string;
  nickname?: string;
}

/** Creates the account; a verification mail goes out. The login is kept for "check your mail". */
export async function signUp(input: SignUpInput): Promise<User> {
  const body: Record<string, string> = { email: input.email, username: input.username, password: input.password };
  if (input.nickname) body.nickname = input.nickname;
  const user = await api.post<User>('/v1/auth/signup', body, { auth: false });
  setPendingLogin(input.email);
  return user;
}

/** Which of an email address and a username are still free (true = free). */
export function checkAvailability(input: { email?: string; username?: string }): Promise<{ email?: boolean; username?: boolean }> {
  return api.get('/v1/auth/availability', input, { auth: false });
}

/** Signs in; rejects with `invalid_credentials`, `email_unverified`, `rate_limited`, ... */
export async function signIn(login: string, password: string): Promise<User> {
  const pair = await api.post<TokenPair>('/v1/auth/signin', { login, password, device_name: deviceName() }, { auth: false });
  clearQueries();
  tokens.accept(pair);
  session.value = { status: 'signed_in', user: pair.user, sessionId: pair.session_id };
  setPendingLogin(null);
  return pair.user;
}

/** Signs this device out (the API revokes the session) and forgets everything local. */
export async function signOut(): Promise<void> {
  try {
    if (tokens.hasSession) await api.endSession('/v1/auth/signout');
  } catch {
    // Already revoked, or offline: the local sign-out happens all the same.
  }
  tokens.clear();
  ended('signed_out');
}

/** Signs out every device of the account, this one included. */
export async function signOutEverywhere(): Promise<void> {
  await api.endSession('/v1/auth/signout-all');
  tokens.clear();
  ended('signed_out');
}

/** Confirms an address with the mailed token (`invalid_token` when used or expired). */
export async function verifyEmail(token: string): Promise<void> {
  await api.post('/v1/auth/email/verify', { token }, { auth: false });
}

/** Sends the verification mail again: for `login` (public form, always 202) or the signed-in user. */
export async function resendVerification(login?: string): Promise<void> {
  if (login) await api.post('/v1/auth/email/resend', { login }, { auth: false });
  else await api.post('/v1/auth/email/resend');
}

/** Asks for a reset mail (always 202 whether or not the address exists). */
export async function requestPasswordReset(email: string): Promise<void> {
  await api.post('/v1/auth/password/reset', { email }, { auth: false });
}

/** Sets a new password with the mailed token; every session ends. */
export async function confirmPasswordReset(token: string, newPassword: string): Promise<void> {
  await api.post('/v1/auth/password/reset/confirm', { token, new_password: newPassword }, { auth: false });
}

/** Changes the password; the other sessions end, this one stays. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await api.post('/v1/auth/password/change', { current_password: currentPassword, new_password: newPassword });
  sessionsQuery().invalidate();
}

/** Changes the account's nickname. */
export async function updateNickname(nickname: string): Promise<User> {
  const user = await api.patch<User>('/v1/me', { nickname });
  remember(user);
  if (session.value.status === 'signed_in') session.value = { ...session.value, user };
  return user;
}

/** Deactivates the account (password re-checked) and signs out here. */
export async function deactivateAccount(password: string): Promise<void> {
  await api.delete('/v1/me', { body: { password } });
  tokens.clear();
  ended('signed_out');
}

/** The account's sessions (devices). */
export function sessionsQuery(): Query<SessionInfo[]> {
  return query('session:list', () => allPages<SessionInfo>('/v1/sessions'));
}

/** Ends one session (another device). Revoking the current one is `signOut`. */
export async function revokeSession(id: string): Promise<void> {
  await api.delete(`/v1/sessions/${encodeURIComponent(id)}`);
  sessionsQuery().update((list) => list.filter((item) => item.id !== id));
}

/**
 * The login (email) waiting for verification, for "check your mail" and to fill in sign-in when
 * the mailed link opens the app in another tab (so localStorage, not sessionStorage).
 */
export const pendingLogin = signal<string | null>(readPending());

function readPending(): string | null {
  try {
    return localStorage.getItem(PENDING_KEY);
  } catch {
    return null;
  }
}

export function setPendingLogin(login: string | null): void {
  pendingLogin.value = login;
  try {
    if (login) localStorage.setItem(PENDING_KEY, login);
    else localStorage.removeItem(PENDING_KEY);
  } catch {
    /* storage refused */
  }
}
