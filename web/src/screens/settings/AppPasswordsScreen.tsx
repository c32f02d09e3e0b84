import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { appPasswordsQuery, createAppPassword, revokeAppPassword, type NewAppPassword } from '../../data/settings';
import type { AppPassword } from '../../data/types';
import { formatRelative, t } from '../../i18n';
import { Button, ConfirmSheet, EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, Screen, Sheet, TextField, toast } from '../../ui';
import { CopyField } from './CopyField';
import { paths } from './routes';
import './settings.css';

function CreateSheet({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (created: NewAppPassword) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError(t('settings.appPasswordNameRequired'));
      return;
    }
    setBusy(true);
    try {
      const created = await createAppPassword(trimmed);
      setName('');
      setError(null);
      onCreated(created);
    } catch (failure) {
      setError(errorMessage(failure, 'settings'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Sheet open={open} onClose={onClose} title={t('settings.newAppPassword')}>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        <TextField label={t('settings.appPasswordName')} value={name} onValue={setName} error={error} maxLength={100} autocomplete="off" />
        <div class="button-row">
          <Button variant="secondary" onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="submit" busy={busy} busyLabel={t('settings.creating')}>{t('settings.create')}</Button>
        </div>
      </form>
    </Sheet>
  );
}

/** The secret, shown this once, with the address and username to type beside it. */
function CreatedSheet({ created, onClose }: { created: NewAppPassword | null; onClose: () => void }): JSX.Element {
  return (
    <Sheet open={created !== null} onClose={onClose} title={t('settings.createdTitle')}>
      {created ? (
        <div>
          <p class="form-note" role="status">{t('settings.createdOnce')}</p>
          <div class="settings-section">
            <CopyField label={t('settings.appPasswordField')} value={created.password} secret />
            <CopyField label={t('settings.serverAddress')} value={created.server_url} />
            <CopyField label={t('settings.username')} value={created.username} />
          </div>
          <div class="button-row">
            <LinkButton variant="secondary" href={paths.guide}>{t('settings.guideLink')}</LinkButton>
            <Button onClick={onClose}>{t('common.done')}</Button>
          </div>
        </div>
      ) : null}
    </Sheet>
  );
}

/** CardDAV app passwords: list, create (the secret shown once), revoke; a link to the guide. */
export default function AppPasswordsScreen(): JSX.Element {
  const passwords = useQuery(appPasswordsQuery());
  const [creating, setCreating] = useState(useLocation().query.new === '1');
  // The secret lives only in this component's state while its sheet is open.
  const [created, setCreated] = useState<NewAppPassword | null>(null);
  const [target, setTarget] = useState<AppPassword | null>(null);
  const [busy, setBusy] = useState(false);
  const list = passwords.data.value;

  return (
    <Screen title={t('settings.appPasswordsTitle')} back="/app/me">
      <p class="settings-lead">{t('settings.appPasswordsLead')}</p>
      <div class="stack">
        <Button block onClick={() => setCreating(true)}>{t('settings.newAppPassword')}</Button>
        <LinkButton block variant="secondary" href={paths.guide}>{t('settings.guideLink')}</LinkButton>
      </div>
      <div class="settings-section">
        {list === undefined && passwords.error.value ? (
          <ErrorBox message={errorMessage(passwords.error.value)} onRetry={() => void passwords.reload()} retryLabel={t('common.retry')} />
        ) : list === undefined ? (
          <Loading label={t('common.loading')} rows={2} />
        ) : list.length === 0 ? (
          <EmptyState title={t('settings.appPasswordsEmpty')} body={t('settings.appPasswordsEmptyBody')} />
        ) : (
          <List label={t('settings.appPasswordsTitle')}>
            {list.map((item) => (
              <ListRow
                key={item.id}
                title={item.name}
                subtitle={`${t('settings.createdAt', { when: formatRelative(item.created_at) })} · ${item.last_used_at ? t('settings.lastUsed', { when: formatRelative(item.last_used_at) }) : t('settings.neverUsed')}`}
                trailing={
                  <Button variant="ghost" class="revoke-btn" aria-label={t('settings.revokeAppPassword', { name: item.name })} onClick={() => setTarget(item)}>
                    {t('settings.revoke')}
                  </Button>
                }
              />
            ))}
          </List>
        )}
      </div>
      <CreateSheet open={creating} onClose={() => setCreating(false)} onCreated={(value) => { setCreating(false); setCreated(value); }} />
      <CreatedSheet created={created} onClose={() => setCreated(null)} />
      <ConfirmSheet
        open={target !== null}
        title={target ? t('settings.revokeAppPasswordTitle', { name: target.name }) : ''}
        message={t('settings.revokeAppPasswordBody')}
        confirmLabel={t('settings.revoke')}
        danger
        busy={busy}
        onClose={() => setTarget(null)}
        onConfirm={async () => {
          if (!target) return;
          setBusy(true);
          try {
            await revokeAppPassword(target.id);
            toast(t('settings.appPasswordRevoked'), 'success');
            setTarget(null);
          } catch (error) {
            toast(errorMessage(error, 'settings'), 'error');
          } finally {
            setBusy(false);
          }
        }}
      />
    </Screen>
  );
}
