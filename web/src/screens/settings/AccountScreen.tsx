import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { changePassword, currentUser, signOut, signOutEverywhere } from '../../data/session';
import { ApiError } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { Button, ConfirmSheet, LinkButton, Screen, TextField, toast } from '../../ui';
import { paths } from './routes';
import './settings.css';

/** Client-side checks of a new password (the API's rules: 8..128, not the username or email). */
export function newPasswordProblem(password: string, login: { username: string; email: string }): MessageKey | null {
  if (password.length < 8) return 'settings.tooShort';
  if (password.length > 128) return 'settings.tooLong';
  const lower = password.toLowerCase();
  if (lower === login.username.toLowerCase() || lower === login.email.toLowerCase()) return 'settings.sameAsLogin';
  return null;
}

type Errors = Partial<Record<'current' | 'next' | 'again' | 'form', string>>;

function ChangePassword(): JSX.Element {
  const user = currentUser.value;
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!user) return;
    const found: Errors = {};
    if (!current) found.current = t('settings.needCurrent');
    const problem = newPasswordProblem(next, user);
    if (problem) found.next = t(problem);
    else if (next === current) found.next = t('settings.sameAsCurrent');
    if (!problem && again !== next) found.again = t('settings.mismatch');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      toast(t('settings.passwordSaved'), 'success');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_credentials') setErrors({ current: errorMessage(error, 'settings') });
      else if (error instanceof ApiError && error.fieldMessage('new_password')) setErrors({ next: error.fieldMessage('new_password') ?? '' });
      else setErrors({ form: errorMessage(error, 'settings') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="settings-section" aria-labelledby="change-password">
      <h2 class="settings-section-title" id="change-password">{t('settings.changePassword')}</h2>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        {/* A hidden username helps password managers save the new password for the right account. */}
        <input type="text" name="username" autocomplete="username" value={user?.username ?? ''} readOnly hidden />
        <TextField label={t('settings.currentPassword')} type="password" autocomplete="current-password" name="current-password" value={current} onValue={setCurrent} error={errors.current} />
        <TextField label={t('settings.newPassword')} type="password" autocomplete="new-password" name="new-password" hint={t('settings.newPasswordHint')} value={next} onValue={setNext} error={errors.next} />
        <TextField label={t('settings.confirmPassword')} type="password" autocomplete="new-password" name="new-password-again" value={again} onValue={setAgain} error={errors.again} />
        {errors.form ? <p class="form-error" role="alert">{errors.form}</p> : null}
        <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('settings.savePassword')}</Button>
      </form>
    </section>
  );
}

/** Account: who I am, change password, sign out (here or everywhere), the way to delete it. */
export default function AccountScreen(): JSX.Element {
  const user = currentUser.value;
  const [leaving, setLeaving] = useState(false);
  const [everywhere, setEverywhere] = useState(false);
  const [everywhereBusy, setEverywhereBusy] = useState(false);

  return (
    <Screen title={t('settings.accountTitle')} back="/app/me">
      {user ? <p class="settings-lead">{t('settings.signedInAs', { username: user.username, email: user.email })}</p> : null}
      <ChangePassword />
      <section class="settings-section stack">
        <p class="muted settings-note">{t('settings.signOutHint')}</p>
        <Button variant="secondary" block busy={leaving} onClick={async () => { setLeaving(true); await signOut(); }}>{t('settings.signOut')}</Button>
        <Button variant="ghost" block onClick={() => setEverywhere(true)}>{t('settings.signOutEverywhere')}</Button>
      </section>
      <section class="settings-danger stack" aria-labelledby="danger-zone">
        <h2 class="settings-section-title settings-danger-title" id="danger-zone">{t('settings.dangerZone')}</h2>
        <LinkButton variant="danger" block href={paths.deleteAccount}>{t('settings.entryDelete')}</LinkButton>
      </section>
      <ConfirmSheet
        open={everywhere}
        title={t('settings.signOutEverywhere')}
        message={t('settings.signOutEverywhereConfirm')}
        confirmLabel={t('settings.signOutEverywhere')}
        danger
        busy={everywhereBusy}
        onClose={() => setEverywhere(false)}
        onConfirm={async () => {
          setEverywhereBusy(true);
          try {
            await signOutEverywhere();
          } catch (error) {
            toast(errorMessage(error, 'settings'), 'error');
            setEverywhereBusy(false);
          }
        }}
      />
    </Screen>
  );
}
