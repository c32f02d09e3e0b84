import type { JSX } from 'preact';
import { describeCard, verifiedEntry } from '../../data/cards';
import type { VerifiedEmail } from '../../data/types';
import { useFileUrl } from '../../data/files';
import { t } from '../../i18n';
import './cards.css';

/**
 * A card drawn as a business card: name, title, company and department, phones, emails,
 * websites, address, note, and its image when it has one. Used by the live preview of the
 * editor and by the wallet and share screens. `imageUrl`: an API file URL or a `blob:` URL;
 * `verified`: the card's verified addresses, each marked beside its address.
 */
export function BusinessCard({ name, data, imageUrl, isPrivate, label, verified }: {
  name: string;
  data: Record<string, unknown>;
  imageUrl?: string | null;
  isPrivate?: boolean;
  label?: string;
  verified?: readonly VerifiedEmail[];
}): JSX.Element {
  const view = describeCard(name, data);
  const image = useFileUrl(imageUrl ?? null);
  const org = [view.organization, view.department].filter(Boolean).join(' · ');
  return (
    <figure class="bcard" aria-label={label}>
      {imageUrl ? (
        <div class="bcard-image">{image ? <img src={image} alt="" width={96} height={96} /> : null}</div>
      ) : null}
      <div class="bcard-main">
        {org ? <p class="bcard-org">{org}</p> : null}
        <p class="bcard-name">{view.displayName || t('cards.sample')}</p>
        {view.title ? <p class="bcard-title">{view.title}</p> : null}
      </div>
      <dl class="bcard-lines">
        {view.phones.map((phone, n) => (
          <div class="bcard-line" key={`p${n}`}><dt>{phone.type ?? 'T'}</dt><dd>{phone.value}</dd></div>
        ))}
        {view.emails.map((email, n) => (
          <div class="bcard-line" key={`e${n}`}><dt>{email.type ?? 'E'}</dt><dd>{email.value}<VerifiedBadge entry={verifiedEntry(verified, email.value)} /></dd></div>
        ))}
        {view.urls.map((url, n) => (
          <div class="bcard-line" key={`u${n}`}><dt>W</dt><dd>{url}</dd></div>
        ))}
        {view.addressLine ? <div class="bcard-line"><dt>A</dt><dd>{view.addressLine}</dd></div> : null}
      </dl>
      {view.note ? <p class="bcard-note">{view.note}</p> : null}
      {isPrivate !== undefined ? <span class="pill bcard-badge">{isPrivate ? t('cards.private') : t('cards.public')}</span> : null}
    </figure>
  );
}

/** The mark beside a verified address: a work email, or an address whose owner reads it. */
export function VerifiedBadge({ entry }: { entry: VerifiedEmail | null }): JSX.Element | null {
  if (!entry) return null;
  return (
    <span class="verified-badge" data-work={entry.work ? 'true' : 'false'} title={t('cards.verifiedUntil', { date: entry.expires_at.slice(0, 10) })}>
      {t(entry.work ? 'cards.verifiedWork' : 'cards.verifiedEmail')}
    </span>
  );
}
