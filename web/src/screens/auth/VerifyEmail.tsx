import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { session, verifyEmail } from '../../data/session';
import { ApiError } from '../../data/types';
import { t } from '../../i18n';
import { LinkButton, Loading, Screen } from '../../ui';
import { paths } from './routes';

/** `/app/verify-email?token=`: confirms the address in the app, then leads on. */
export default function VerifyEmail(): JSX.Element {
  const { query, route } = useLocation();
  const token = query.token ?? '';
  const [state, setState] = useState<'working' | 'done' | 'invalid' | 'error'>('working');
  const [message, setMessage] = useState('');

  useEffect(() => {
    // The token leaves the address bar at once (no history entry or screenshot keeps it).
    history.replaceState(null, '', paths.verify);
    if (!token) {
      setState('invalid');
      return;
    }
    verifyEmail(token).then(
      () => {
        setState('done');
        if (session.value.status !== 'signed_in') route(`${paths.signIn}?verified=1`, true);
      },
      (failure: unknown) => {
        if (failure instanceof ApiError && failure.code === 'invalid_token') setState('invalid');
        else {
          setMessage(errorMessage(failure));
          setState('error');
        }
      },
    );
  }, [token]);

  const signedIn = session.value.status === 'signed_in';
  return (
    <Screen title={t('verify.title')}>
      <div class="auth">
        {state === 'working' ? <Loading label={t('common.loading')} rows={1} /> : null}
        {state === 'done' ? <p class="form-note" role="status">{t('verify.done')}</p> : null}
        {state === 'invalid' ? <p class="form-error" role="alert">{t('verify.invalid')}</p> : null}
        {state === 'error' ? <p class="form-error" role="alert">{message}</p> : null}
        {state !== 'working' ? <LinkButton href={signedIn ? '/app/wallet' : paths.signIn} block>{signedIn ? t('tabs.wallet') : t('signIn.submit')}</LinkButton> : null}
      </div>
    </Screen>
  );
}
