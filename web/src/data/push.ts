/**
 * Web Push on this device (issue 23, item 4): the browser's `PushManager` subscription under
 * the server's VAPID key (`GET /v1/push/web/key`), and the server's record of it
 * (`POST /v1/push/web/subscriptions`, one per session; posting again replaces it). The service
 * worker (sw/sw.js) shows what arrives. Signing out drops the browser's subscription: the next
 * person on this browser starts without one.
 */
import { signal } from '@preact/signals';
import { api } from '../api';
import { ApiError } from '../api/errors';
import { onSignOut, session } from './session';

/** `unsupported`: no push in this browser; `denied`: the person blocked notifications for the site. */
export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export const pushState = signal<PushState>('off');
/** Whether notifications show the message's text (the server's `previews`). */
export const pushPreviews = signal(false);

/** `{session, id}`: the server's id of the subscription, and the session it belongs to. */
const SUBSCRIPTION_KEY = 'bca.push.subscription';
const PREVIEWS_KEY = 'bca.push.previews';

function supported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The server's VAPID key as `applicationServerKey` wants it (base64url to bytes). */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function currentSessionId(): string | null {
  const state = session.peek();
  return state.status === 'signed_in' ? state.sessionId : null;
}

/** The server's id of this session's subscription, as this device remembers it. */
function rememberedId(): string | null {
  try {
    const kept = JSON.parse(localStorage.getItem(SUBSCRIPTION_KEY) ?? 'null') as { session: string; id: string } | null;
    return kept && kept.session === currentSessionId() ? kept.id : null;
  } catch {
    return null;
  }
}

async function browserSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

/** Reads this device's state (on the notifications screen). */
export async function readPushState(): Promise<void> {
  if (!supported()) {
    pushState.value = 'unsupported';
    return;
  }
  pushPreviews.value = localStorage.getItem(PREVIEWS_KEY) === 'true';
  if (Notification.permission === 'denied') {
    pushState.value = 'denied';
    return;
  }
  // Another session's subscription (signed out elsewhere, another person) is not this one's.
  const subscribed = rememberedId() !== null && (await browserSubscription()) !== null;
  pushState.value = subscribed ? 'on' : 'off';
}

/** Asks for permission, subscribes the browser and tells the server (again, to change `previews`). */
export async function enablePush(previews: boolean): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    pushState.value = permission === 'denied' ? 'denied' : 'off';
    return;
  }
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const { key } = await api.get<{ key: string }>('/v1/push/web/key', undefined, { auth: false });
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  }
  const { id } = await api.post<{ id: string }>('/v1/push/web/subscriptions', { ...subscription.toJSON(), previews });
  localStorage.setItem(SUBSCRIPTION_KEY, JSON.stringify({ session: currentSessionId(), id }));
  localStorage.setItem(PREVIEWS_KEY, String(previews));
  pushPreviews.value = previews;
  pushState.value = 'on';
}

/** Stops notifications on this device: the server forgets the subscription, the browser drops it. */
export async function disablePush(): Promise<void> {
  const id = rememberedId();
  if (id) {
    try {
      await api.delete(`/v1/push/web/subscriptions/${encodeURIComponent(id)}`);
    } catch (error) {
      // Already gone (the push service said so, or the session was replaced): nothing to undo.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  await (await browserSubscription())?.unsubscribe();
  localStorage.removeItem(SUBSCRIPTION_KEY);
  pushState.value = 'off';
}

onSignOut(() => {
  // The server pushes to live sessions only: the signed-out one gets nothing more.
  localStorage.removeItem(SUBSCRIPTION_KEY);
  pushState.value = 'off';
  if (supported()) void browserSubscription().then((subscription) => subscription?.unsubscribe(), () => undefined);
});
