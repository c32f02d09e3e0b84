import type { JSX } from 'preact';
import { version } from '../../../package.json';
import { t } from '../../i18n';
import { List, ListRow, Screen } from '../../ui';
import './settings.css';

/** About: the app's version and the public API documentation. */
export default function AboutScreen(): JSX.Element {
  return (
    <Screen title={t('settings.aboutTitle')} back="/app/me">
      <p class="settings-lead">{t('settings.aboutLead')}</p>
      <List label={t('settings.aboutTitle')}>
        <ListRow title={t('settings.version')} trailing={<span class="about-version">{version}</span>} />
        <li class="row-item">
          <a class="row row-action" href="/docs" target="_blank" rel="noopener">
            <span class="row-text">
              <span class="row-title">{t('settings.apiDocs')}</span>
              <span class="row-subtitle">{t('settings.apiDocsHint')}</span>
            </span>
          </a>
        </li>
      </List>
    </Screen>
  );
}
