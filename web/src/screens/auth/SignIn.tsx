import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { takeReturnTo } from '../../app/nav';
import { pendingLogin, setPendingLogin, signIn } from '../../data/session';
import { ApiError } from '../../data/types';
import { t } from '../../i18n';
import { Button, Screen, TextField } from '../../ui';
import { LanguageSwitch } from './LanguageSwitch';
import { paths } from './routes';

export default function SignIn(): JSX.Element {
  const { query, route } = useLocation();
  const [login, setLogin] = useState(query.login ?? pendingLogin.value ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notice = query.verified ? t('signIn.verified') : query.reset ? t('signIn.reset') : null;

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(login.trim(), password);
      route(takeReturnTo('/app/wallet'), true);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'email_unverified') {
        setPendingLogin(login.trim());
        route(paths.checkMail);
        return;
      }
      setError(errorMessage(failure, 'signIn'));
      setBusy(false);
    }
  }

  return (
    <Screen title={t('signIn.title')} back={paths.welcome}>
      <div class="auth">
        {notice ? <p class="form-note" role="status">{notice}</p> : null}
        <form class="form" onSubmit={submit} noValidate>
          <TextField label={t('signIn.login')} value={login} onValue={setLogin} autocomplete="username" autocapitalize="none" spellcheck={false} required />
          <TextField label={t('signIn.password')} type="password" value={password} onValue={setPassword} autocomplete="current-password" required />
          {error ? <p class="form-error" role="alert">{error}</p> : null}
          <Button type="submit" block busy={busy} busyLabel={t('signIn.busy')} disabled={!login.trim() || !password}>{t('signIn.submit')}</Button>
        </form>
        <div class="auth-links">
          <a href={paths.forgot}>{t('signIn.forgot')}</a>
          <a href={paths.signUp}>{t('signIn.noAccount')}</a>
        </div>
        <LanguageSwitch />
      </div>
    </Screen>
  );
}
