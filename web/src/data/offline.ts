/**
 * What the offline banner shows: the browser's idea of the network and when this device last
 * synced (set by data/sync.ts). Tiny on purpose: the app shell imports it, the sync engine and
 * the local database stay out of the first screen's bundle.
 */
import { computed, effect, signal } from '@preact/signals';
import { currentUser } from './session';

/** The browser's idea of the network (`online`/`offline` events). */
export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine);
/** When this device last finished a sync (ISO), for the signed-in user; null before the first. */
export const lastSynced = signal<string | null>(null);
/** Offline and signed in: the banner "offline — last synced …" shows. */
export const showOffline = computed(() => !online.value && currentUser.value !== null);

export const SYNCED_KEY = 'bca.synced.';

if (typeof window !== 'undefined') {
  window.addEventListener('online', () => {
    online.value = true;
  });
  window.addEventListener('offline', () => {
    online.value = false;
  });
  effect(() => {
    const user = currentUser.value;
    let stored: string | null = null;
    try {
      if (user) stored = localStorage.getItem(SYNCED_KEY + user.id);
    } catch {
      // storage refused: never synced, as far as the banner knows
    }
    lastSynced.value = stored;
  });
  effect(() => {
    if (typeof document !== 'undefined') document.documentElement.classList.toggle('offline', showOffline.value);
  });
}
