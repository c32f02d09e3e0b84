import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { describeCard } from '../../data/cards';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { walletEntries, walletQuery } from '../../data/wallet';
import { formatRelative, t } from '../../i18n';
import { Avatar, CameraIcon, EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, Screen, WalletIcon } from '../../ui';
import { paths } from './routes';
import './wallet.css';

/** The cards my active profile holds, newest updates first, "updated" marked. */
export default function WalletScreen(): JSX.Element {
  const profile = activeProfile.value;
  const q = useQuery(profile ? walletQuery(profile.id) : null);
  const list = q?.data.value;
  const actions = (
    <a class="icon-btn" href={paths.scan} aria-label={t('wallet.scan')} title={t('wallet.scan')}><CameraIcon /></a>
  );
  let body: JSX.Element;
  if (!profile || list === undefined) {
    body = q?.error.value
      ? <ErrorBox message={errorMessage(q.error.value, 'wallet')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} />
      : <Loading label={t('common.loading')} />;
  } else if (list.length === 0) {
    body = (
      <EmptyState
        icon={<WalletIcon size={48} />}
        title={t('wallet.empty')}
        body={t('wallet.emptyBody')}
        action={<LinkButton href={paths.scan}>{t('wallet.scan')}</LinkButton>}
      />
    );
  } else {
    const entries = walletEntries(profile.id, list);
    body = (
      <List label={t('wallet.title')}>
        {entries.map(({ card, updated, subscribed_at }) => {
          const view = describeCard(card.name, card.data);
          const sub = [view.title, view.organization].filter(Boolean).join(' · ');
          const when = card.updated_at > subscribed_at ? card.updated_at : subscribed_at;
          return (
            <ListRow
              key={card.id}
              href={paths.card(card.id)}
              leading={<Avatar name={view.displayName} src={card.preview_url} />}
              title={view.displayName}
              subtitle={sub || undefined}
              trailing={updated ? <span class="pill pill-primary wallet-updated">{t('wallet.updated')}</span> : <span>{formatRelative(when)}</span>}
            />
          );
        })}
      </List>
    );
  }
  return (
    <Screen title={t('wallet.title')} tabs actions={actions}>
      <div class="wallet-top button-row">
        <LinkButton href={paths.scan} variant="secondary">{t('wallet.scan')}</LinkButton>
        <LinkButton href="/app/cards" variant="secondary">{t('wallet.myCards')}</LinkButton>
      </div>
      {body}
    </Screen>
  );
}
