import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { describeCard, profileCardsQuery } from '../../data/cards';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { t } from '../../i18n';
import { EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, MeIcon, PlusIcon, Screen } from '../../ui';
import { paths as sharePaths } from '../share/routes';
import { paths } from './routes';
import './cards.css';

/** The active profile's cards: each opens its editor; a share button each; "New card". */
export default function CardsScreen(): JSX.Element {
  const profile = activeProfile.value;
  const cards = useQuery(profile ? profileCardsQuery(profile.id) : null);
  const list = cards?.data.value;
  const add = <LinkButton href={paths.newCard} aria-label={t('cards.new')} variant="ghost"><PlusIcon /></LinkButton>;
  let body: JSX.Element;
  if (!profile) body = <p class="form-note">{t('cards.noProfile')}</p>;
  else if (list === undefined) {
    body = cards?.error.value
      ? <ErrorBox message={errorMessage(cards.error.value, 'cards')} onRetry={() => void cards.reload()} retryLabel={t('common.retry')} />
      : <Loading label={t('common.loading')} />;
  } else if (list.length === 0) {
    body = (
      <EmptyState
        icon={<MeIcon size={48} />}
        title={t('cards.empty')}
        body={t('cards.emptyBody', { profile: profile.name })}
        action={<LinkButton href={paths.newCard}>{t('cards.new')}</LinkButton>}
      />
    );
  } else {
    body = (
      <>
        <List label={t('cards.title')}>
          {list.map((card) => {
            const view = describeCard(card.name, card.data);
            const sub = [view.displayName !== card.name ? view.displayName : '', view.title, view.organization].filter(Boolean).join(' · ');
            return (
              <ListRow
                key={card.id}
                href={paths.edit(card.id)}
                title={card.name}
                subtitle={sub || undefined}
                trailing={<span class="pill">{card.private ? t('cards.private') : t('cards.public')}</span>}
              />
            );
          })}
        </List>
        <div class="stack">
          <LinkButton href={paths.newCard} block>{t('cards.new')}</LinkButton>
          {list[0] ? <LinkButton href={sharePaths.card(list[0].id)} variant="secondary" block>{t('cards.share')}: {list[0].name}</LinkButton> : null}
        </div>
      </>
    );
  }
  return <Screen title={t('cards.title')} back="/app/wallet" actions={profile ? add : null}>{body}</Screen>;
}
