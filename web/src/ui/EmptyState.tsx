import type { ComponentChildren, JSX } from 'preact';

/** What a screen shows when it has nothing yet: a title, a sentence, and the next step. */
export function EmptyState({ title, body, icon, action }: { title: string; body?: string; icon?: ComponentChildren; action?: ComponentChildren }): JSX.Element {
  return (
    <div class="empty">
      {icon ? <div class="empty-icon">{icon}</div> : null}
      <h2 class="empty-title">{title}</h2>
      {body ? <p class="empty-body">{body}</p> : null}
      {action ? <div class="empty-action">{action}</div> : null}
    </div>
  );
}

/** A loading placeholder that keeps its space (no jump when content arrives). */
export function Loading({ label, rows = 3 }: { label: string; rows?: number }): JSX.Element {
  return (
    <div class="loading" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, index) => <div key={index} class="skeleton-row" />)}
    </div>
  );
}

/** An error in a box, with a retry when given. */
export function ErrorBox({ message, onRetry, retryLabel }: { message: string; onRetry?: () => void; retryLabel?: string }): JSX.Element {
  return (
    <div class="error-box" role="alert">
      <p>{message}</p>
      {onRetry ? <button type="button" class="btn btn-secondary" onClick={onRetry}>{retryLabel ?? 'Retry'}</button> : null}
    </div>
  );
}
