import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { signUp } from '../../data/session';
import { ApiError } from '../../data/types';
import { t } from '../../i18n';
import { Button, Screen, TextField } from '../../ui';
import { paths } from './routes';

const USERNAME = /^[a-z0-9_.]{3,32}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Field = 'email' | 'username' | 'password' | 'nickname';

export default function SignUp(): JSX.Element {
  const { route } = useLocation();
  const [email, setEmail] = useState('');
  const [username, setUsername] = useState('');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);

  function check(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {};
    if (!EMAIL.test(email.trim())) found.email = t('signUp.emailInvalid');
    if (!USERNAME.test(username)) found.username = t('signUp.usernameInvalid');
    if (password.length < 8) found.password = t('signUp.passwordShort');
    return found;
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const found = check();
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await signUp({ email: email.trim(), username, password, nickname: nickname.trim() || undefined });
      route(paths.checkMail);
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError) {
        if (failure.code === 'email_taken') return setErrors({ email: t('signUp.email_taken') });
        if (failure.code === 'username_taken') return setErrors({ username: t('signUp.username_taken') });
        if (failure.code === 'validation_error') {
          const fromApi: Partial<Record<Field, string>> = {};
          for (const field of ['email', 'username', 'password', 'nickname'] as const) {
            const message = failure.fieldMessage(field);
            if (message) fromApi[field] = message;
          }
          if (Object.keys(fromApi).length > 0) return setErrors(fromApi);
        }
      }
      setFormError(errorMessage(failure, 'signUp'));
    }
  }

  return (
    <Screen title={t('signUp.title')} back={paths.welcome}>
      <div class="auth">
        <form class="form" onSubmit={submit} noValidate>
          <TextField label={t('signUp.email')} type="email" value={email} onValue={setEmail} error={errors.email} autocomplete="email" inputMode="email" autocapitalize="none" spellcheck={false} required />
          <TextField label={t('signUp.username')} value={username} onValue={(value) => setUsername(value.toLowerCase())} error={errors.username} hint={t('signUp.usernameHint')} autocomplete="username" autocapitalize="none" spellcheck={false} maxLength={32} required />
          <TextField label={t('signUp.nickname')} value={nickname} onValue={setNickname} error={errors.nickname} optional optionalLabel={t('common.optional')} autocomplete="nickname" maxLength={100} />
          <TextField label={t('signUp.password')} type="password" value={password} onValue={setPassword} error={errors.password} hint={t('signUp.passwordHint')} autocomplete="new-password" maxLength={128} required />
          {formError ? <p class="form-error" role="alert">{formError}</p> : null}
          <Button type="submit" block busy={busy} busyLabel={t('signUp.busy')}>{t('signUp.submit')}</Button>
        </form>
        <div class="auth-links">
          <a href={paths.signIn}>{t('signUp.haveAccount')}</a>
        </div>
      </div>
    </Screen>
  );
}
