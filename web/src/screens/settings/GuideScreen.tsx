import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { carddavSetupQuery } from '../../data/settings';
import { t } from '../../i18n';
import { ErrorBox, LinkButton, Loading, Screen } from '../../ui';
import { CopyField } from './CopyField';
import { paths } from './routes';
import './settings.css';

/** One screen: what to type into DAVx⁵ (Android) or iOS Contacts. */
export default function GuideScreen(): JSX.Element {
  const setup = useQuery(carddavSetupQuery());
  const data = setup.data.value;
  return (
    <Screen title={t('settings.guideTitle')} back={paths.appPasswords}>
      <p class="settings-lead">{t('settings.guideLead')}</p>
      {data === undefined && setup.error.value ? (
        <ErrorBox message={errorMessage(setup.error.value)} onRetry={() => void setup.reload()} retryLabel={t('common.retry')} />
      ) : data === undefined ? (
        <Loading label={t('common.loading')} rows={2} />
      ) : (
        <div>
          <CopyField label={t('settings.serverAddress')} value={data.server_url} />
          <CopyField label={t('settings.username')} value={data.username} />
        </div>
      )}
      <section class="settings-section" aria-labelledby="guide-android">
        <h2 class="settings-section-title" id="guide-android">{t('settings.guideAndroid')}</h2>
        <ol class="guide-steps">
          <li>{t('settings.guideAndroid1')}</li>
          <li>{t('settings.guideAndroid2')}</li>
          <li>{t('settings.guideAndroid3')}</li>
          <li>{t('settings.guideAndroid4')}</li>
        </ol>
      </section>
      <section class="settings-section" aria-labelledby="guide-ios">
        <h2 class="settings-section-title" id="guide-ios">{t('settings.guideIos')}</h2>
        <ol class="guide-steps">
          <li>{t('settings.guideIos1')}</li>
          <li>{t('settings.guideIos2')}</li>
          <li>{t('settings.guideIos3')}</li>
        </ol>
      </section>
      <p class="muted settings-note">{t('settings.guideReadOnly')}</p>
      <LinkButton block variant="secondary" href={`${paths.appPasswords}?new=1`}>{t('settings.newAppPassword')}</LinkButton>
    </Screen>
  );
}
