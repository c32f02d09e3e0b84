import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { revokeSession, sessionsQuery, signOut } from '../../data/session';
import type { SessionInfo } from '../../data/types';
import { formatRelative, t } from '../../i18n';
import { Button, ConfirmSheet, EmptyState, ErrorBox, List, ListRow, Loading, Screen, toast } from '../../ui';
import './settings.css';

function deviceName(item: SessionInfo): string {
  return item.device_name ?? t('settings.unknownDevice');
}

/** Devices: every session of the account, this one marked; revoke one (this one = sign out). */
export default function DevicesScreen(): JSX.Element {
  const sessions = useQuery(sessionsQuery());
  const [target, setTarget] = useState<SessionInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const list = sessions.data.value;
  // This device first, then the most recently used.
  const sorted = list ? [...list].sort((a, b) => Number(b.current) - Number(a.current) || (b.last_used_at ?? b.created_at).localeCompare(a.last_used_at ?? a.created_at)) : undefined;

  async function revoke(item: SessionInfo): Promise<void> {
    setBusy(true);
    try {
      if (item.current) {
        await signOut();
        return;
      }
      await revokeSession(item.id);
      toast(t('settings.revoked'), 'success');
      setTarget(null);
    } catch (error) {
      toast(errorMessage(error, 'settings'), 'error');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title={t('settings.devicesTitle')} back="/app/me">
      <p class="settings-lead">{t('settings.devicesLead')}</p>
      {sorted === undefined && sessions.error.value ? (
        <ErrorBox message={errorMessage(sessions.error.value)} onRetry={() => void sessions.reload()} retryLabel={t('common.retry')} />
      ) : sorted === undefined ? (
        <Loading label={t('common.loading')} rows={2} />
      ) : sorted.length === 0 ? (
        <EmptyState title={t('settings.noDevices')} />
      ) : (
        <List label={t('settings.devicesTitle')}>
          {sorted.map((item) => (
            <ListRow
              key={item.id}
              title={deviceName(item)}
              subtitle={
                <>
                  {item.current ? <span class="pill pill-primary">{t('settings.thisDevice')}</span> : null}{' '}
                  {item.last_used_at ? t('settings.lastUsed', { when: formatRelative(item.last_used_at) }) : t('settings.signedInAt', { when: formatRelative(item.created_at) })}
                </>
              }
              trailing={
                <Button variant="ghost" class="revoke-btn" aria-label={t('settings.revokeDevice', { name: deviceName(item) })} onClick={() => setTarget(item)}>
                  {t('settings.revoke')}
                </Button>
              }
            />
          ))}
        </List>
      )}
      <ConfirmSheet
        open={target !== null}
        title={target ? t('settings.revokeTitle', { name: deviceName(target) }) : ''}
        message={target?.current ? t('settings.revokeThisBody') : t('settings.revokeBody')}
        confirmLabel={target?.current ? t('settings.signOut') : t('settings.revoke')}
        danger
        busy={busy}
        onClose={() => setTarget(null)}
        onConfirm={() => { if (target) void revoke(target); }}
      />
    </Screen>
  );
}
