import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { personQuery } from '../../data/people';
import { useQuery } from '../../data/query';
import { acceptRequest, blockRequest, declineRequest, requestQuery } from '../../data/requests';
import { formatDate, t } from '../../i18n';
import { Avatar, Button, ConfirmSheet, ErrorBox, Loading, Screen, toast } from '../../ui';
import { useName } from './names';
import { paths } from './routes';
import './chats.css';

/**
 * One message request (`/app/chats/requests/:id`): who asks (with their verified work email, if
 * any) and their first message; Accept opens the chat, Decline and Block go back to the list.
 * Reading it here tells the one who asked nothing.
 */
export default function RequestScreen(): JSX.Element {
  const { params } = useRoute();
  const chatId = params.id ?? '';
  const { route } = useLocation();
  const q = useQuery(requestQuery(chatId));
  const request = q.data.value;
  const name = useName(request?.inviter_profile_id);
  const person = useQuery(request?.inviter_profile_id ? personQuery(request.inviter_profile_id) : null)?.data.value;
  const [busy, setBusy] = useState<'accept' | 'decline' | 'block' | null>(null);
  const [confirmBlock, setConfirmBlock] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function answer(kind: 'accept' | 'decline' | 'block'): Promise<void> {
    setBusy(kind);
    setError(null);
    try {
      if (kind === 'accept') {
        await acceptRequest(chatId);
        route(paths.room(chatId), true);
        return;
      }
      if (kind === 'decline') await declineRequest(chatId);
      else await blockRequest(chatId);
      toast(t(kind === 'decline' ? 'chat.requestDeclined' : 'chat.requestBlocked'), 'success');
      route(paths.requests, true);
    } catch (failure) {
      setBusy(null);
      setConfirmBlock(false);
      setError(errorMessage(failure, 'chat'));
    }
  }

  if (request === undefined) {
    return (
      <Screen title={t('chat.request')} back={paths.requests}>
        {q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'chat')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />}
      </Screen>
    );
  }
  const first = request.first_message;
  return (
    <Screen title={t('chat.request')} back={paths.requests}>
      <section class="request" aria-labelledby="request-who">
        <div class="request-who">
          <Avatar name={name || '?'} src={person?.image_url ?? null} size={96} />
          <h2 id="request-who" class="request-name">{t('chat.requestFrom', { name })}</h2>
          {request.inviter_verified_work ? <span class="request-verified">{t('chat.requestVerified')}</span> : null}
          {request.chat.title ? <p class="request-title">{request.chat.title}</p> : null}
        </div>
        <figure class="request-message">
          {first ? (
            <>
              <blockquote class="msg-bubble request-bubble">{first.body ?? t('chat.file')}</blockquote>
              <figcaption class="chat-row-time">{formatDate(first.created_at)}</figcaption>
            </>
          ) : (
            <figcaption class="chat-start">{t('chat.requestNoMessage')}</figcaption>
          )}
        </figure>
        <p class="field-hint">{t('chat.requestHint')}</p>
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        <div class="request-actions">
          <Button block busy={busy === 'accept'} disabled={busy !== null} onClick={() => void answer('accept')}>{t('chat.requestAccept')}</Button>
          <Button block variant="secondary" busy={busy === 'decline'} disabled={busy !== null} onClick={() => void answer('decline')}>{t('chat.requestDecline')}</Button>
          <Button block variant="danger" disabled={busy !== null} onClick={() => setConfirmBlock(true)}>{t('chat.requestBlock')}</Button>
        </div>
      </section>
      <ConfirmSheet
        open={confirmBlock}
        title={t('chat.requestBlock')}
        message={t('chat.requestBlockConfirm', { name })}
        confirmLabel={t('chat.requestBlock')}
        danger
        busy={busy === 'block'}
        onConfirm={() => void answer('block')}
        onClose={() => setConfirmBlock(false)}
      />
    </Screen>
  );
}
