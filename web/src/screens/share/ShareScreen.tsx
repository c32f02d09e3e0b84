import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { cardQuery, describeCard } from '../../data/cards';
import { useQuery } from '../../data/query';
import { cardQrObjectUrl, cardVcard, createShareLink } from '../../data/share';
import type { ShareLink } from '../../data/types';
import { t } from '../../i18n';
import { Button, ErrorBox, LinkButton, Loading, Screen, toast } from '../../ui';
import { BusinessCard } from '../cards/BusinessCard';
import { saveBlob } from './download';
import './share.css';

interface WakeLockSentinelLike {
  release(): Promise<void>;
}

/** Keeps the screen on while mounted (Screen Wake Lock API, where the browser has it). */
function useWakeLock(): void {
  useEffect(() => {
    const wakeLock = (navigator as { wakeLock?: { request(type: 'screen'): Promise<WakeLockSentinelLike> } }).wakeLock;
    if (!wakeLock) return;
    let sentinel: WakeLockSentinelLike | null = null;
    let live = true;
    const acquire = (): void => {
      if (document.visibilityState !== 'visible') return;
      wakeLock.request('screen').then(
        (got) => {
          if (live) sentinel = got;
          else void got.release();
        },
        () => undefined,
      );
    };
    acquire();
    document.addEventListener('visibilitychange', acquire);
    return () => {
      live = false;
      document.removeEventListener('visibilitychange', acquire);
      void sentinel?.release().catch(() => undefined);
    };
  }, []);
}

/** My card's QR code, large on white (full screen on a tap), its link to share, its vCard and page. */
export default function ShareScreen(): JSX.Element {
  const { params } = useRoute();
  const id = params.id ?? '';
  const q = useQuery(cardQuery(id));
  const card = q.data.value;
  const [qr, setQr] = useState<string | null>(null);
  const [link, setLink] = useState<ShareLink | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [full, setFull] = useState(false);
  useWakeLock();

  useEffect(() => {
    let live = true;
    let url: string | null = null;
    Promise.all([createShareLink(id), cardQrObjectUrl(id, 'svg')]).then(
      ([made, objectUrl]) => {
        url = objectUrl;
        if (!live) return URL.revokeObjectURL(objectUrl);
        setLink(made);
        setQr(objectUrl);
      },
      (error: unknown) => live && setFailure(error),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id]);

  const name = card ? describeCard(card.name, card.data).displayName : '';

  async function shareLink(): Promise<void> {
    if (!link) return;
    const data = { title: name, text: t('share.shareText', { name }), url: link.url };
    if (typeof navigator.share === 'function' && (!navigator.canShare || navigator.canShare(data))) {
      try {
        await navigator.share(data);
        return;
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') return;
      }
    }
    try {
      await navigator.clipboard.writeText(link.url);
      toast(t('share.copied'), 'success');
    } catch {
      toast(t('share.copyFailed', { url: link.url }), 'error', 8000);
    }
  }

  async function downloadVcard(): Promise<void> {
    try {
      saveBlob(await cardVcard(id), `${name || 'card'}.vcf`);
    } catch (error) {
      toast(errorMessage(error, 'share'), 'error');
    }
  }

  const error = failure ?? q.error.value;
  return (
    <Screen title={card ? `${t('share.title')}: ${card.name}` : t('share.title')} back="/app/cards">
      {error ? <ErrorBox message={errorMessage(error, 'share')} /> : null}
      {!error && !qr ? <Loading label={t('common.loading')} rows={1} /> : null}
      {qr ? (
        <button type="button" class={full ? 'qr-panel qr-full' : 'qr-panel'} onClick={() => setFull(!full)} aria-pressed={full} title={full ? t('share.exitFullScreen') : t('share.fullScreen')}>
          <img class="qr-image" src={qr} alt={t('share.qrAlt', { name: card?.name ?? '' })} width={320} height={320} />
          <span class="qr-caption">{full ? t('share.exitFullScreen') : t('share.scanHint')}</span>
        </button>
      ) : null}
      {link ? (
        <div class="stack share-actions">
          <p class="share-url"><span class="muted">{t('share.link')}: </span><span class="share-url-text">{link.url}</span></p>
          <Button block onClick={() => void shareLink()}>{t('share.shareLink')}</Button>
          <Button block variant="secondary" onClick={() => void downloadVcard()}>{t('share.vcard')}</Button>
          <LinkButton block variant="secondary" href={link.url} target="_blank" rel="noopener noreferrer">{t('share.openPage')}</LinkButton>
          <p class="field-hint">{t('share.awake')}</p>
        </div>
      ) : null}
      {card ? <BusinessCard name={card.name} data={card.data} imageUrl={card.preview_url} verified={card.verified} isPrivate={card.private} /> : null}
    </Screen>
  );
}
