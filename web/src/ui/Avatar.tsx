import type { JSX } from 'preact';
import { useFileUrl } from '../data/files';

/**
 * The initials of a name: a Korean name's first syllable (김하나 → 김); otherwise the first
 * letters of the first and last words (Ada Park → AP, Ada → A); '?' for an empty name.
 */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  if (!first) return '?';
  const letter = (word: string): string => Array.from(word)[0] ?? '';
  if (/^[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]/.test(first)) return letter(first);
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  return (letter(first) + (last ? letter(last) : '')).toUpperCase();
}

/**
 * A round picture or initials in a box of fixed size (no layout jump while it loads).
 * `src` may be an API file URL (fetched with the token) or a blob:/data: URL.
 */
export function Avatar({ name, src, size = 40 }: { name: string; src?: string | null; size?: 32 | 40 | 56 | 96 }): JSX.Element {
  const shown = useFileUrl(src);
  const initials = initialsOf(name);
  return (
    <span class={`avatar avatar-${size}`} aria-hidden="true">
      {shown ? <img src={shown} alt="" width={size} height={size} decoding="async" /> : <span class="avatar-initials">{initials}</span>}
    </span>
  );
}
