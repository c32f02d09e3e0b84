import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { cancelScheduled, localInputValue, refreshScheduled, scheduleMessage, scheduledQuery } from '../../data/scheduled';
import { formatDate, t } from '../../i18n';
import { Button, Sheet, TextField, toast } from '../../ui';

/** Choose when to send the composer's text and attachment: the server keeps them and sends them then. */
export function ScheduleSheet({ chatId, body, file, open, onClose, onScheduled }: { chatId: string; body: string; file: File | null; open: boolean; onClose: () => void; onScheduled: () => void }): JSX.Element {
  const [when, setWhen] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) setWhen(localInputValue(new Date(Date.now() + 60 * 60_000)));
  }, [open]);
  const chosen = when ? new Date(when) : null;
  const valid = chosen !== null && !Number.isNaN(chosen.getTime()) && chosen.getTime() > Date.now();
  const submit = (): void => {
    if (!chosen || !valid) return;
    setBusy(true);
    scheduleMessage(chatId, body, chosen, file)
      .then(() => {
        toast(t('chat.scheduledFor', { time: formatDate(chosen.toISOString(), 'dateTime') }), 'success');
        onScheduled();
        onClose();
      }, (error: unknown) => toast(errorMessage(error, 'chat'), 'error'))
      .finally(() => setBusy(false));
  };
  return (
    <Sheet open={open} onClose={onClose} title={t('chat.schedule')}>
      <form class="schedule-form" onSubmit={(event) => { event.preventDefault(); submit(); }}>
        {body ? <p class="schedule-body">{body}</p> : null}
        {file ? <p class="schedule-file">{t('chat.file')} · {file.name}</p> : null}
        <TextField label={t('chat.sendAt')} type="datetime-local" value={when} onValue={setWhen} error={when && !valid ? t('chat.sendAtFuture') : undefined} />
        <Button type="submit" block busy={busy} disabled={!valid}>{t('chat.schedule')}</Button>
      </form>
    </Sheet>
  );
}

/** My messages waiting to be sent in this chat, each with its time and a way to cancel it. */
export function ScheduledBar({ chatId, newest }: { chatId: string; newest: number }): JSX.Element | null {
  const q = useQuery(scheduledQuery(chatId));
  // A message of mine that arrives may be one of them, sent: ask again.
  useEffect(() => refreshScheduled(chatId), [chatId, newest]);
  const [busy, setBusy] = useState<string | null>(null);
  const items = q.data.value ?? [];
  if (!items.length) return null;
  return (
    <details class="scheduled">
      <summary class="scheduled-summary">{t('chat.scheduledCount', { count: items.length })}</summary>
      <ul class="scheduled-list">
        {items.map((item) => (
          <li key={item.id} class="scheduled-item">
            <span class="scheduled-text">
              <time class="scheduled-time" dateTime={item.send_at}>{formatDate(item.send_at, 'dateTime')}</time>
              <span class="scheduled-body">{item.file && item.body ? `${t('chat.file')} · ${item.body}` : (item.body ?? t('chat.file'))}</span>
            </span>
            <Button
              variant="ghost"
              busy={busy === item.id}
              aria-label={`${t('chat.cancelScheduled')} ${formatDate(item.send_at, 'dateTime')}`}
              onClick={() => {
                setBusy(item.id);
                cancelScheduled(chatId, item.id)
                  .then(() => toast(t('chat.scheduledCancelled'), 'success'), (error: unknown) => toast(errorMessage(error, 'chat'), 'error'))
                  .finally(() => setBusy(null));
              }}
            >
              {t('chat.cancelScheduled')}
            </Button>
          </li>
        ))}
      </ul>
    </details>
  );
}
