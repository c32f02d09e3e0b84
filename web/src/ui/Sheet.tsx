import type { ComponentChildren, JSX } from 'preact';
import { useId, useLayoutEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { CloseIcon } from './icons';
import { Button, IconButton } from './Button';

/**
 * A modal sheet from the bottom (a native <dialog>: focus moves in and back, Escape closes,
 * the rest of the page is inert).
 */
export function Sheet({ open, onClose, title, children }: { open: boolean; onClose: () => void; title: string; children: ComponentChildren }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // In the same task as the render that closed it: a modal left open until after the paint
  // makes the rest of the page inert, so a screen updated by the same tap (the composer after
  // "Reply" or "Edit") would ignore focus and typing for a frame.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} class="sheet" aria-labelledby={titleId} onClose={onClose} onCancel={(event) => { event.preventDefault(); onClose(); }}>
      <div class="sheet-head">
        <h2 id={titleId} class="sheet-title">{title}</h2>
        <IconButton label={t('common.close')} onClick={onClose}><CloseIcon /></IconButton>
      </div>
      <div class="sheet-body">{open ? children : null}</div>
    </dialog>
  );
}

/** A yes/no question in a sheet. */
export function ConfirmSheet({ open, title, message, confirmLabel, danger = false, busy = false, onConfirm, onClose }: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}): JSX.Element {
  return (
    <Sheet open={open} onClose={onClose} title={title}>
      <p class="sheet-message">{message}</p>
      <div class="button-row">
        <Button variant="secondary" onClick={onClose}>{t('common.cancel')}</Button>
        <Button variant={danger ? 'danger' : 'primary'} busy={busy} onClick={onConfirm}>{confirmLabel}</Button>
      </div>
    </Sheet>
  );
}
