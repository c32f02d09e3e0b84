import type { JSX } from 'preact';
import { liveStatus } from '../../data/live';
import { t } from '../../i18n';

/** Says when live updates are not flowing (a polite status line; nothing while live). */
export function LiveBanner(): JSX.Element {
  const status = liveStatus.value;
  const text = status === 'polling' ? t('chat.status.polling') : status === 'offline' ? t('chat.status.offline') : null;
  return <p class={text ? 'chat-live-banner' : 'chat-live-banner chat-live-hidden'} role="status">{text}</p>;
}
