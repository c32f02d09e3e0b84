import type { JSX } from 'preact';
import { currentUser } from '../../data/session';
import { locale, t } from '../../i18n';
import { List, ListRow } from '../../ui';
import { paths as reportPaths } from '../reports/routes';
import { paths } from './routes';

/** The Me tab's entries to the settings screens (below the profile switcher). */
export function SettingsEntries(): JSX.Element {
  const user = currentUser.value;
  return (
    <List heading={t('settings.heading')}>
      <ListRow title={t('settings.entryAccount')} subtitle={user ? t('me.signedInAs', { username: user.username }) : t('settings.entryAccountHint')} href={paths.account} />
      <ListRow title={t('settings.entryDevices')} subtitle={t('settings.entryDevicesHint')} href={paths.devices} />
      <ListRow title={t('settings.entryAppPasswords')} subtitle={t('settings.entryAppPasswordsHint')} href={paths.appPasswords} />
      <ListRow title={t('settings.entryLanguage')} subtitle={t(locale.value === 'ko' ? 'lang.ko' : 'lang.en')} href={paths.language} />
      <ListRow title={t('settings.entryNotifications')} subtitle={t('settings.entryNotificationsHint')} href={paths.notifications} />
      <ListRow title={t('reports.mine')} subtitle={t('reports.mineHint')} href={reportPaths.mine} />
      <ListRow title={t('settings.entryExport')} subtitle={t('settings.entryExportHint')} href={paths.exportData} />
      <ListRow title={t('settings.entryDelete')} subtitle={t('settings.entryDeleteHint')} href={paths.deleteAccount} />
      <ListRow title={t('settings.entryAbout')} href={paths.about} />
    </List>
  );
}
