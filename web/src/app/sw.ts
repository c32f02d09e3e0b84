/** Registers the service worker (`/app/sw.js`, scope `/app/`) in production builds. */
import { signal } from '@preact/signals';

/** True when a new version waits; the shell may offer to reload. */
export const updateReady = signal(false);

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const base = import.meta.env.BASE_URL;
  navigator.serviceWorker.register(`${base}sw.js`, { scope: base }).then(
    (registration) => {
      registration.addEventListener('updatefound', () => {
        const worker = registration.installing;
        worker?.addEventListener('statechange', () => {
          if (worker.state === 'installed' && navigator.serviceWorker.controller) updateReady.value = true;
        });
      });
    },
    () => undefined,
  );
}
