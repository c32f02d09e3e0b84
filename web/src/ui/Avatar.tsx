import type { JSX } from 'preact';
import { useFileUrl } from '../data/files';

/**
 * A round picture or initials in a box of fixed size (no layout jump while it loads).
 * `src` may be an API file URL (fetched with the token) or a blob:/data: URL.
 */
export function Avatar({ name, src, size = 40 }: { name: string; src?: string | null; size?: 32 | 40 | 56 | 96 }): JSX.Element {
  const shown = useFileUrl(src);
  const trimmed = name.trim();
  const hangul = /^[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]/.test(trimmed);
  const initials = Array.from(trimmed).slice(0, hangul ? 1 : 2).join('').toUpperCase() || '?';
  return (
    <span class={`avatar avatar-${size}`} aria-hidden="true">
      {shown ? <img src={shown} alt="" width={size} height={size} decoding="async" /> : <span class="avatar-initials">{initials}</span>}
    </span>
  );
}
