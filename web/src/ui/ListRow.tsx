import type { ComponentChildren, JSX } from 'preact';
import { ChevronIcon } from './icons';

type ListRowProps = {
  title: ComponentChildren;
  subtitle?: ComponentChildren;
  /** An avatar or icon, left. */
  leading?: ComponentChildren;
  /** A badge, time or control, right. */
  trailing?: ComponentChildren;
  /** Navigates (an <a>); otherwise `onClick` makes it a button; neither: plain row. */
  href?: string;
  onClick?: () => void;
  /** Shows a chevron (default: when `href`). */
  chevron?: boolean;
  current?: boolean;
  label?: string;
};

/** One row of a list, at least 56 px tall; put rows inside <List>. */
export function ListRow({ title, subtitle, leading, trailing, href, onClick, chevron, current, label }: ListRowProps): JSX.Element {
  const body = (
    <>
      {leading ? <span class="row-leading">{leading}</span> : null}
      <span class="row-text">
        <span class="row-title">{title}</span>
        {subtitle ? <span class="row-subtitle">{subtitle}</span> : null}
      </span>
      {trailing ? <span class="row-trailing">{trailing}</span> : null}
      {(chevron ?? Boolean(href)) ? <ChevronIcon class="row-chevron" size={20} /> : null}
    </>
  );
  if (href) {
    return <li class="row-item"><a class="row row-action" href={href} aria-current={current ? 'true' : undefined} aria-label={label}>{body}</a></li>;
  }
  if (onClick) {
    return <li class="row-item"><button type="button" class="row row-action" onClick={onClick} aria-current={current ? 'true' : undefined} aria-label={label}>{body}</button></li>;
  }
  return <li class="row-item"><div class="row">{body}</div></li>;
}

/** A list of rows with an optional heading. */
export function List({ heading, children, label }: { heading?: string; label?: string; children: ComponentChildren }): JSX.Element {
  return (
    <section class="list-section" aria-label={heading ? undefined : label}>
      {heading ? <h2 class="list-heading">{heading}</h2> : null}
      <ul class="list">{children}</ul>
    </section>
  );
}
