import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { confirmPasswordReset, signOut } from '../../data/session';
import { ApiError } from '../../data/types';
import { t } from '../../i18n';
import { Button, LinkButton, Screen, TextField } from '../../ui';
import { paths } from './routes';

/** `/app/reset-password?token=`: sets a new password, then leads to sign-in. */
export default function ResetPassword(): JSX.Element {
  const { query, route } = useLocation();
  const [token] = useState(query.token ?? '');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(!token);

  useEffect(() => {
    history.replaceState(null, '', paths.reset);
  }, []);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (password !== repeat) return setError(t('reset.differ'));
    if (password.length < 8) return setError(t('signUp.passwordShort'));
    setBusy(true);
    setError(null);
    try {
      await confirmPasswordReset(token, password);
      await signOut();
      route(`${paths.signIn}?reset=1`, true);
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.code === 'invalid_token') setInvalid(true);
      else setError(failure instanceof ApiError && failure.errors[0] ? failure.errors[0].msg : errorMessage(failure));
    }
  }

  return (
    <Screen title={t('reset.title')} back={paths.signIn}>
      <div class="auth">
        {invalid ? (
          <>
            <p class="form-error" role="alert">{t('reset.invalid')}</p>
            <LinkButton href={paths.forgot} block>{t('forgot.submit')}</LinkButton>
          </>
        ) : (
          <form class="form" onSubmit={submit} noValidate>
            <TextField label={t('reset.password')} type="password" value={password} onValue={setPassword} hint={t('signUp.passwordHint')} autocomplete="new-password" maxLength={128} required />
            <TextField label={t('reset.confirm')} type="password" value={repeat} onValue={setRepeat} autocomplete="new-password" maxLength={128} required />
            {error ? <p class="form-error" role="alert">{error}</p> : null}
            <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('reset.submit')}</Button>
          </form>
        )}
      </div>
    </Screen>
  );
}
