import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { deactivateAccount } from '../../data/session';
import { t } from '../../i18n';
import { Button, Screen, TextField } from '../../ui';
import { paths } from './routes';
import './settings.css';

/** Delete my account: deactivated now, erased after the grace period; the password confirms. */
export default function DeleteAccountScreen(): JSX.Element {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function confirm(event: Event): Promise<void> {
    event.preventDefault();
    if (!password) {
      setError(t('settings.needCurrent'));
      return;
    }
    setBusy(true);
    try {
      await deactivateAccount(password);
      // Signed out: the guard takes this screen away.
    } catch (failure) {
      setError(errorMessage(failure, 'settings'));
      setBusy(false);
    }
  }

  return (
    <Screen title={t('settings.deleteTitle')} back={paths.account}>
      <p class="settings-lead">{t('settings.deleteLead')}</p>
      <p class="muted settings-note">{t('settings.deleteCancelHint')}</p>
      <p class="muted settings-note">
        <a href={paths.exportData}>{t('settings.deleteExportHint')}</a>
      </p>
      <section class="settings-danger stack" aria-labelledby="delete-account">
        <h2 class="settings-section-title settings-danger-title" id="delete-account">{t('settings.dangerZone')}</h2>
        <form class="form" onSubmit={(event) => void confirm(event)} noValidate>
          <TextField label={t('settings.password')} type="password" autocomplete="current-password" value={password} onValue={setPassword} error={error} />
          <Button type="submit" variant="danger" block busy={busy}>{t('settings.deleteConfirm')}</Button>
        </form>
      </section>
    </Screen>
  );
}
