import type { ButtonHTMLAttributes, ComponentChildren, JSX } from 'preact';

export type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';

type ButtonProps = Omit<ButtonHTMLAttributes, 'class' | 'className'> & {
  variant?: ButtonVariant;
  /** Shows the busy label and disables the button while an action runs. */
  busy?: boolean;
  busyLabel?: string;
  block?: boolean;
  class?: string;
  children: ComponentChildren;
};

/** A button, 48 px tall at least. `type` defaults to "button" (forms pass "submit"). */
export function Button({ variant = 'primary', busy = false, busyLabel, block = false, class: extra, children, type = 'button', disabled, ...rest }: ButtonProps): JSX.Element {
  const classes = ['btn', `btn-${variant}`, block ? 'btn-block' : '', extra ?? ''].filter(Boolean).join(' ');
  return (
    <button type={type} class={classes} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {busy && busyLabel ? busyLabel : children}
    </button>
  );
}

type LinkButtonProps = {
  variant?: ButtonVariant;
  block?: boolean;
  href: string;
  children: ComponentChildren;
  'aria-label'?: string;
  download?: string;
  target?: string;
  rel?: string;
  onClick?: (event: MouseEvent) => void;
};

/** A link that looks like a button (navigation, not an action). */
export function LinkButton({ variant = 'primary', block = false, children, ...rest }: LinkButtonProps): JSX.Element {
  return (
    <a class={['btn', `btn-${variant}`, block ? 'btn-block' : ''].filter(Boolean).join(' ')} {...rest}>
      {children}
    </a>
  );
}

/** A round icon button with an accessible name (`label`). */
export function IconButton({ label, children, ...rest }: Omit<ButtonHTMLAttributes, 'class' | 'className'> & { label: string; children: ComponentChildren }): JSX.Element {
  return (
    <button type="button" class="icon-btn" aria-label={label} title={label} {...rest}>
      {children}
    </button>
  );
}
