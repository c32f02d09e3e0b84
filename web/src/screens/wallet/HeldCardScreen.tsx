import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { describeCard, mapHref, telHref, webHref } from '../../data/cards';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { cardVcard } from '../../data/share';
import type { ReportTarget } from '../../data/reports';
import { markSeen, unsubscribe, walletQuery } from '../../data/wallet';
import { t } from '../../i18n';
import { Button, ConfirmSheet, ErrorBox, List, ListRow, Loading, Screen, toast } from '../../ui';
import { BusinessCard } from '../cards/BusinessCard';
import { paths as peoplePaths } from '../people/routes';
import { ReportSheet } from '../reports/ReportSheet';
import { saveBlob } from '../share/download';
import { paths } from './routes';
import './wallet.css';

/** A card I hold: call, mail, map, website, save as vCard, remove. Opening it marks it seen. */
export default function HeldCardScreen(): JSX.Element {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const profile = activeProfile.value;
  const q = useQuery(profile ? walletQuery(profile.id) : null);
  const entry = q?.data.value?.find((item) => item.card.id === id);
  const [confirming, setConfirming] = useState(false);
  const [reporting, setReporting] = useState<ReportTarget | null>(null);
  const [busy, setBusy] = useState(false);
  const card = entry?.card;

  useEffect(() => {
    if (profile && card) markSeen(profile.id, card);
  }, [profile?.id, card?.id, card?.version]);

  if (!profile || !q || q.data.value === undefined || !card) {
    return (
      <Screen title={t('wallet.cardTitle')} back={paths.home}>
        {q?.error.value
          ? <ErrorBox message={errorMessage(q.error.value, 'wallet')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} />
          : q?.data.value !== undefined ? <p class="form-note">{t('wallet.notHeld')}</p> : <Loading label={t('common.loading')} />}
      </Screen>
    );
  }
  const view = describeCard(card.name, card.data);

  async function saveVcard(): Promise<void> {
    if (!card) return;
    try {
      saveBlob(await cardVcard(card.id), `${view.displayName || 'card'}.vcf`);
    } catch (error) {
      toast(errorMessage(error, 'wallet'), 'error');
    }
  }

  async function remove(): Promise<void> {
    if (!profile || !card) return;
    setBusy(true);
    try {
      await unsubscribe(profile.id, card.id);
      toast(t('wallet.removed'), 'success');
      route(paths.home, true);
    } catch (error) {
      setBusy(false);
      setConfirming(false);
      toast(errorMessage(error, 'wallet'), 'error');
    }
  }

  const rows: JSX.Element[] = [];
  view.phones.forEach((phone, n) => {
    const href = telHref(phone.value);
    if (href) rows.push(<ListRow key={`p${n}`} href={href} chevron={false} title={phone.value} subtitle={[t('wallet.call'), phone.type].filter(Boolean).join(' · ')} />);
  });
  view.emails.forEach((email, n) => {
    rows.push(<ListRow key={`e${n}`} href={`mailto:${encodeURIComponent(email.value).replace(/%40/g, '@')}`} chevron={false} title={email.value} subtitle={[t('wallet.mail'), email.type].filter(Boolean).join(' · ')} />);
  });
  if (view.addressLine) {
    rows.push(<ListRow key="a" href={mapHref(view.addressLine)} chevron={false} title={view.addressLine} subtitle={t('wallet.map')} />);
  }
  view.urls.forEach((url, n) => {
    const href = webHref(url);
    if (href) rows.push(<ListRow key={`u${n}`} href={href} chevron={false} title={url} subtitle={t('wallet.website')} />);
  });

  return (
    <Screen title={view.displayName} back={paths.home}>
      <BusinessCard name={card.name} data={card.data} imageUrl={card.preview_url} verified={card.verified} label={view.displayName} />
      {rows.length ? <List heading={t('wallet.details')}>{rows}</List> : null}
      <List heading={t('wallet.owner')}>
        <ListRow title={t('wallet.ownerProfile')} subtitle={t('wallet.ownerHint')} href={peoplePaths.person(card.profile_id)} />
      </List>
      <div class="stack wallet-actions">
        <Button block variant="secondary" onClick={() => void saveVcard()}>{t('wallet.saveVcard')}</Button>
        <Button block variant="ghost" onClick={() => setConfirming(true)}>{t('wallet.remove')}</Button>
        {profile ? <Button block variant="ghost" onClick={() => setReporting({ kind: 'card', card_id: card.id })}>{t('reports.action')}</Button> : null}
      </div>
      {profile ? <ReportSheet me={profile.id} target={reporting} onClose={() => setReporting(null)} /> : null}
      <ConfirmSheet
        open={confirming}
        title={t('wallet.remove')}
        message={t('wallet.removeConfirm', { name: view.displayName })}
        confirmLabel={t('wallet.remove')}
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onClose={() => setConfirming(false)}
      />
    </Screen>
  );
}
