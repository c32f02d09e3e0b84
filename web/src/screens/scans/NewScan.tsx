import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { activeProfile } from '../../data/profiles';
import { startScan } from '../../data/scans';
import { formatNumber, t } from '../../i18n';
import { CameraIcon, ErrorBox, Screen } from '../../ui';
import { paths as contactPaths } from '../contacts/routes';
import { paths } from './routes';
import './scans.css';

/** Takes a photo of a paper card (the camera, or a picture from the gallery) and sends it to be read. */
export default function NewScan(): JSX.Element {
  const { route } = useLocation();
  const me = activeProfile.value;
  const [photo, setPhoto] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  useEffect(() => {
    if (!photo) return;
    const url = URL.createObjectURL(photo);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [photo]);

  async function send(file: File): Promise<void> {
    if (!me) return;
    setFailure(null);
    setProgress(0);
    try {
      const scan = await startScan(me.id, file, 'KR', setProgress);
      route(paths.scan(scan.id), true);
    } catch (error) {
      setProgress(null);
      setFailure(error);
    }
  }

  function picked(event: Event): void {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setPhoto(file);
    void send(file);
  }

  const sending = progress !== null;
  return (
    <Screen title={t('scans.new')} back={contactPaths.home}>
      {me ? <p class="acting-as">{t('scans.into', { name: me.name })}</p> : null}
      <div class="scan-photo">
        {preview ? <img src={preview} alt={t('scans.photoAlt')} /> : <CameraIcon size={48} class="muted" />}
      </div>
      {sending ? (
        <div class="scan-progress" role="status">
          <span>{progress < 1 ? t('scans.uploading', { percent: formatNumber(Math.round(progress * 100)) }) : t('scans.uploaded')}</span>
          <progress max={1} value={progress} aria-label={t('scans.uploadProgress')} />
        </div>
      ) : (
        <>
          {failure ? <ErrorBox message={errorMessage(failure, 'scans')} onRetry={photo ? () => void send(photo) : undefined} retryLabel={t('common.retry')} /> : <p>{t('scans.howTo')}</p>}
          <div class="scan-pick">
            <label class="btn btn-primary btn-block">
              <input type="file" accept="image/*" capture="environment" onChange={picked} disabled={!me} data-testid="scan-camera" />
              {t('scans.takePhoto')}
            </label>
            <label class="btn btn-secondary btn-block">
              <input type="file" accept="image/*" onChange={picked} disabled={!me} data-testid="scan-gallery" />
              {t('scans.choosePhoto')}
            </label>
          </div>
        </>
      )}
    </Screen>
  );
}
