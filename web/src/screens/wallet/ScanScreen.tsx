import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { shareTokenFromLink } from '../../data/share';
import { t } from '../../i18n';
import { Button, CameraIcon, Screen, TextField } from '../../ui';
import { paths } from './routes';
import { decodeImageFile, decodeVideoFrame, warmUpDecoder } from './scanner';
import './wallet.css';

const FRAME_MS = 250;

/**
 * Add a card by its QR code: the camera (decoded a few times a second), a still photo (the
 * same decoder: "scan from photo", also how the browser tests feed it a picture), or a
 * pasted link. A code that holds a `/c/{token}` link opens the "add to wallet" screen.
 */
export default function ScanScreen(): JSX.Element {
  const { route } = useLocation();
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');

  useEffect(() => {
    warmUpDecoder();
  }, []);

  function found(text: string | null, fromPhoto: boolean): boolean {
    if (text === null) {
      if (fromPhoto) setError(t('wallet.noCode'));
      return false;
    }
    const token = shareTokenFromLink(text);
    if (!token) {
      setError(t('wallet.notACard'));
      return false;
    }
    route(paths.add(token));
    return true;
  }

  // The camera loop: one frame every FRAME_MS while the stream runs.
  useEffect(() => {
    const element = video.current;
    if (!stream || !element) return;
    element.srcObject = stream;
    void element.play().catch(() => undefined);
    const canvas = document.createElement('canvas');
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      if (!live) return;
      try {
        const text = await decodeVideoFrame(element, canvas);
        if (live && text !== null && found(text, false)) return;
      } catch {
        // A frame that fails to decode is just skipped.
      }
      if (live) timer = setTimeout(() => void tick(), FRAME_MS);
    };
    timer = setTimeout(() => void tick(), FRAME_MS);
    return () => {
      live = false;
      clearTimeout(timer);
      for (const track of stream.getTracks()) track.stop();
    };
  }, [stream]);

  async function startCamera(): Promise<void> {
    setError(null);
    try {
      const media = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      setStream(media);
    } catch {
      setError(t('wallet.cameraFailed'));
    }
  }

  async function photo(event: Event): Promise<void> {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setError(null);
    setStatus(t('wallet.reading'));
    try {
      found(await decodeImageFile(file), true);
    } catch {
      setError(t('wallet.noCode'));
    } finally {
      setStatus(null);
    }
  }

  function openPasted(event: Event): void {
    event.preventDefault();
    setError(null);
    found(pasted.trim() || null, true);
  }

  return (
    <Screen title={t('wallet.scanTitle')} back={paths.home}>
      <section class="scan-section" aria-label={t('wallet.camera')}>
        {stream ? (
          <>
            <div class="scan-video-box">
              <video ref={video} class="scan-video" muted playsInline aria-label={t('wallet.cameraHint')} />
              <span class="scan-frame" aria-hidden="true" />
            </div>
            <p class="field-hint">{t('wallet.cameraHint')}</p>
            <Button block variant="secondary" onClick={() => setStream(null)}>{t('wallet.stopCamera')}</Button>
          </>
        ) : (
          <Button block onClick={() => void startCamera()}><CameraIcon /> {t('wallet.camera')}</Button>
        )}
      </section>
      <section class="scan-section">
        <input id="scan-photo" class="visually-hidden" type="file" accept="image/*" onChange={(event) => void photo(event)} />
        <label class="btn btn-secondary btn-block" for="scan-photo">{t('wallet.fromPhoto')}</label>
        {status ? <p class="field-hint" role="status">{status}</p> : null}
      </section>
      <form class="scan-section scan-paste" onSubmit={openPasted} noValidate>
        <TextField label={t('wallet.pasteLabel')} hint={t('wallet.pasteHint')} type="url" inputMode="url" value={pasted} onValue={setPasted} />
        <Button type="submit" variant="secondary">{t('wallet.open')}</Button>
      </form>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
    </Screen>
  );
}
