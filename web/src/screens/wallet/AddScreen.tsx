import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { sharedCardQuery, subscribe, walletQuery } from '../../data/wallet';
import { t } from '../../i18n';
import { Button, ErrorBox, LinkButton, Loading, Screen, toast } from '../../ui';
import { BusinessCard } from '../cards/BusinessCard';
import { paths } from './routes';
import './wallet.css';

/** A share link's card (`/app/wallet/add/{token}`, `/app/c/{token}`): see it, add it to my wallet. */
export default function AddScreen(): JSX.Element {
  const { params } = useRoute();
  const { route } = useLocation();
  const token = params.token ?? '';
  const profile = activeProfile.value;
  const q = useQuery(sharedCardQuery(token));
  const wallet = useQuery(profile ? walletQuery(profile.id) : null);
  const [busy, setBusy] = useState(false);
  const card = q.data.value;
  const held = Boolean(card && wallet?.data.value?.some((item) => item.card.id === card.id));

  useEffect(() => {
    // The token is a capability: keep it out of the history once the card is known.
    if (card && location.pathname.startsWith('/app/c/')) history.replaceState(null, '', paths.add(token));
  }, [card?.id]);

  async function add(): Promise<void> {
    if (!profile || !card) return;
    setBusy(true);
    try {
      await subscribe(profile.id, card.id, token);
      toast(t('wallet.added'), 'success');
      route(paths.card(card.id), true);
    } catch (error) {
      setBusy(false);
      toast(errorMessage(error, 'wallet'), 'error');
    }
  }

  const error = q.error.value;
  return (
    <Screen title={t('wallet.addTitle')} back={paths.home}>
      {error ? <ErrorBox message={error.code === 'not_found' ? t('wallet.linkGone') : errorMessage(error, 'wallet')} /> : null}
      {!error && !card ? <Loading label={t('common.loading')} rows={2} /> : null}
      {card ? (
        <>
          <BusinessCard name={card.name} data={card.data} imageUrl={card.preview_url} verified={card.verified} />
          <div class="stack add-actions">
            {held ? (
              <>
                <p class="form-note" role="status">{t('wallet.already')}</p>
                <LinkButton block href={paths.card(card.id)}>{t('wallet.viewInWallet')}</LinkButton>
              </>
            ) : (
              <Button block busy={busy} busyLabel={t('wallet.adding')} onClick={() => void add()}>{t('wallet.add')}</Button>
            )}
          </div>
        </>
      ) : null}
    </Screen>
  );
}
