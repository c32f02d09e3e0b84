import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { chatsQuery } from '../../data/chat';
import { disablePush, enablePush, pushPreviews, pushState, readPushState } from '../../data/push';
import { useQuery } from '../../data/query';
import { setChatMuted } from '../../data/settings';
import type { Chat } from '../../data/types';
import { t } from '../../i18n';
import { EmptyState, ErrorBox, Loading, Screen, toast } from '../../ui';
import './settings.css';

function chatName(chat: Chat): string {
  return chat.title ?? (chat.direct ? t('settings.directChat') : t('settings.untitledChat'));
}

function MuteRow({ chat }: { chat: Chat }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const name = chatName(chat);
  const id = `mute-${chat.id}`;
  return (
    <li class="mute-row">
      <label class="mute-text" for={id}>
        <span class="mute-name">{name}</span>
        <span class="mute-hint">
          {chat.direct ? t('settings.directChat') : t('settings.groupChat', { count: chat.participant_count })} · {chat.muted ? t('settings.muted') : t('settings.unmuted')}
        </span>
      </label>
      <input
        id={id}
        type="checkbox"
        role="switch"
        class="switch"
        checked={chat.muted}
        disabled={busy}
        aria-label={`${t('settings.muteChat')}: ${name}`}
        onChange={async (event) => {
          const muted = event.currentTarget.checked;
          setBusy(true);
          try {
            await setChatMuted(chat.id, muted);
            toast(t(muted ? 'settings.mutedToast' : 'settings.unmutedToast', { name }), 'success');
          } catch (error) {
            toast(errorMessage(error, 'settings'), 'error');
          } finally {
            setBusy(false);
          }
        }}
      />
    </li>
  );
}

/** Notifications on this device (Web Push), and whether they show the message's text. */
function DevicePush(): JSX.Element {
  const [busy, setBusy] = useState(false);
  useEffect(() => void readPushState(), []);
  const state = pushState.value;
  if (state === 'unsupported') return <p class="settings-note">{t('settings.pushUnsupported')}</p>;
  const change = (work: () => Promise<void>): void => {
    setBusy(true);
    work()
      .catch((error: unknown) => toast(errorMessage(error, 'settings'), 'error'))
      .finally(() => setBusy(false));
  };
  return (
    <ul class="list mute-list push-list" aria-label={t('settings.pushDevice')}>
      <li class="mute-row">
        <label class="mute-text" for="push-device">
          <span class="mute-name">{t('settings.pushDevice')}</span>
          <span class="mute-hint">{state === 'denied' ? t('settings.pushDenied') : t('settings.pushDeviceHint')}</span>
        </label>
        <input
          id="push-device"
          type="checkbox"
          role="switch"
          class="switch"
          checked={state === 'on'}
          disabled={busy || state === 'denied'}
          onChange={(event) => {
            const on = event.currentTarget.checked;
            change(() => (on ? enablePush(pushPreviews.peek()) : disablePush()));
          }}
        />
      </li>
      <li class="mute-row">
        <label class="mute-text" for="push-previews">
          <span class="mute-name">{t('settings.pushPreviews')}</span>
          <span class="mute-hint">{t('settings.pushPreviewsHint')}</span>
        </label>
        <input
          id="push-previews"
          type="checkbox"
          role="switch"
          class="switch"
          checked={pushPreviews.value}
          disabled={busy || state !== 'on'}
          onChange={(event) => {
            const previews = event.currentTarget.checked;
            change(() => enablePush(previews));
          }}
        />
      </li>
    </ul>
  );
}

/** Chat notifications: this device's push switch, then each of my chats with a mute switch. */
export default function NotificationsScreen(): JSX.Element {
  const chats = useQuery(chatsQuery());
  const list = chats.data.value;
  return (
    <Screen title={t('settings.notificationsTitle')} back="/app/me">
      <DevicePush />
      <p class="settings-lead">{t('settings.notificationsLead')}</p>
      {list === undefined && chats.error.value ? (
        <ErrorBox message={errorMessage(chats.error.value)} onRetry={() => void chats.reload()} retryLabel={t('common.retry')} />
      ) : list === undefined ? (
        <Loading label={t('common.loading')} rows={3} />
      ) : list.length === 0 ? (
        <EmptyState title={t('settings.noChats')} />
      ) : (
        <ul class="list mute-list" aria-label={t('settings.notificationsTitle')}>
          {list.map((chat) => <MuteRow key={chat.id} chat={chat} />)}
        </ul>
      )}
    </Screen>
  );
}
