import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { pendingLogin, resendVerification } from '../../data/session';
import { t } from '../../i18n';
import { Button, LinkButton, Screen } from '../../ui';
import { paths } from './routes';

/** After sign-up (or a sign-in refused for an unconfirmed address): open the mailed link. */
export default function CheckMail(): JSX.Element {
  const login = pendingLogin.value;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  async function resend(): Promise<void> {
    if (!login) return;
    setBusy(true);
    try {
      await resendVerification(login);
      setMessage({ text: t('checkMail.resent'), error: false });
    } catch (failure) {
      setMessage({ text: errorMessage(failure), error: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title={t('checkMail.title')} back={paths.signIn}>
      <div class="auth">
        <p class="auth-lead">{login ? t('checkMail.body', { email: login }) : t('checkMail.bodyNoEmail')}</p>
        <p class={message?.error ? 'form-error' : 'form-note'} role="status" hidden={!message}>{message?.text}</p>
        <div class="stack">
          {login ? <Button variant="secondary" block busy={busy} busyLabel={t('checkMail.resending')} onClick={resend}>{t('checkMail.resend')}</Button> : null}
          <LinkButton href={login ? `${paths.signIn}?login=${encodeURIComponent(login)}` : paths.signIn} block>{t('checkMail.signIn')}</LinkButton>
        </div>
      </div>
    </Screen>
  );
}
