import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { requestPasswordReset } from '../../data/session';
import { t } from '../../i18n';
import { Button, LinkButton, Screen, TextField } from '../../ui';
import { paths } from './routes';

export default function ForgotPassword(): JSX.Element {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await requestPasswordReset(email.trim());
      setSent(email.trim());
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title={t('forgot.title')} back={paths.signIn}>
      <div class="auth">
        {sent ? (
          <>
            <p class="form-note" role="status">{t('forgot.sent', { email: sent })}</p>
            <LinkButton href={paths.signIn} block>{t('forgot.backToSignIn')}</LinkButton>
          </>
        ) : (
          <form class="form" onSubmit={submit} noValidate>
            <p class="auth-lead">{t('forgot.body')}</p>
            <TextField label={t('forgot.email')} type="email" value={email} onValue={setEmail} autocomplete="email" inputMode="email" autocapitalize="none" required />
            {error ? <p class="form-error" role="alert">{error}</p> : null}
            <Button type="submit" block busy={busy} busyLabel={t('forgot.busy')} disabled={!email.trim()}>{t('forgot.submit')}</Button>
          </form>
        )}
      </div>
    </Screen>
  );
}
