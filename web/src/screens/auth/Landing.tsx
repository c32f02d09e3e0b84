import type { JSX } from 'preact';
import { session } from '../../data/session';
import { t } from '../../i18n';
import { LinkButton, Screen } from '../../ui';
import { LanguageSwitch } from './LanguageSwitch';
import { paths } from './routes';

/** The signed-out landing: what B.Ca is, and the two ways in. */
export default function Landing(): JSX.Element {
  const state = session.value;
  const reason = state.status === 'signed_out' ? state.reason : null;
  return (
    <Screen title={t('app.name')} bare>
      <div class="hero">
        <img class="hero-mark" src={`${import.meta.env.BASE_URL}icons/icon-192.png`} alt="" width="96" height="96" />
        <p class="hero-title" aria-hidden="true">B.Ca</p>
        <p class="hero-tagline">{t('landing.tagline')}</p>
        {reason === 'signed_out' ? <p class="form-note" role="status">{t('landing.signedOut')}</p> : null}
        {reason === 'revoked' || reason === 'expired' ? <p class="form-note" role="status">{t('landing.revoked')}</p> : null}
        <div class="stack">
          <LinkButton href={paths.signUp} block>{t('landing.signUp')}</LinkButton>
          <LinkButton href={paths.signIn} variant="secondary" block>{t('landing.signIn')}</LinkButton>
        </div>
        <LanguageSwitch />
      </div>
    </Screen>
  );
}
