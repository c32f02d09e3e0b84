import { signal } from '@preact/signals';
import type { JSX } from 'preact';

export type ToastKind = 'info' | 'success' | 'error';
interface ToastItem {
  id: number;
  message: string;
  kind: ToastKind;
}

const toasts = signal<ToastItem[]>([]);
let nextId = 1;

/** Shows a short message at the bottom for a few seconds (announced to screen readers). */
export function toast(message: string, kind: ToastKind = 'info', ms = 4000): void {
  const id = nextId++;
  toasts.value = [...toasts.value.slice(-2), { id, message, kind }];
  setTimeout(() => {
    toasts.value = toasts.value.filter((item) => item.id !== id);
  }, ms);
}

/** The live region; the app shell renders it once. */
export function Toasts(): JSX.Element {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((item) => (
        <div key={item.id} class={`toast toast-${item.kind}`}>{item.message}</div>
      ))}
    </div>
  );
}
