import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { activeProfile, myProfilesQuery, switchProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { signOut } from '../../data/session';
import { errorMessage } from '../../app/errors';
import { t } from '../../i18n';
import { paths as cardsPaths } from '../cards/routes';
import { paths as peoplePaths } from '../people/routes';
import { SettingsEntries } from '../settings/SettingsEntries';
import { Avatar, Button, EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, PlusIcon, Screen, toast } from '../../ui';
import { paths } from './routes';

/** The Me tab: my profiles (tap to make one active, edit it), account, language, sign out. */
export default function MeScreen(): JSX.Element {
  const profiles = useQuery(myProfilesQuery());
  const active = activeProfile.value;
  const [leaving, setLeaving] = useState(false);
  const list = profiles.data.value;

  return (
    <Screen title={t('me.title')} tabs actions={<LinkButton href={paths.newProfile} variant="ghost" aria-label={t('me.newProfile')}><PlusIcon /></LinkButton>}>
      {list === undefined && profiles.error.value ? (
        <ErrorBox message={errorMessage(profiles.error.value)} onRetry={() => void profiles.reload()} retryLabel={t('common.retry')} />
      ) : list === undefined ? (
        <Loading label={t('common.loading')} rows={2} />
      ) : list.length === 0 ? (
        <EmptyState title={t('profile.empty')} action={<LinkButton href={paths.newProfile}>{t('me.newProfile')}</LinkButton>} />
      ) : (
        <List heading={t('me.profiles')}>
          {list.map((profile) => {
            const isActive = active?.id === profile.id;
            return (
              <ListRow
                key={profile.id}
                leading={<Avatar name={profile.name} src={profile.image_url} />}
                title={profile.name}
                subtitle={[profile.team_name, profile.private ? t('me.private') : t('me.public')].filter(Boolean).join(' · ')}
                trailing={isActive ? <span class="pill pill-primary">{t('me.active')}</span> : null}
                current={isActive}
                chevron={false}
                onClick={() => {
                  if (!isActive) {
                    switchProfile(profile.id);
                    toast(t('me.switched', { name: profile.name }), 'success');
                  }
                }}
              />
            );
          })}
        </List>
      )}
      {active ? (
        <List heading={active.name}>
          <ListRow title={t('profile.editTitle')} href={paths.editProfile(active.id)} />
          <ListRow title={t('cards.title')} href={cardsPaths.home} />
          <ListRow title={t('people.title')} subtitle={t('people.lead')} href={peoplePaths.home} />
        </List>
      ) : null}
      <SettingsEntries />
      <Button
        variant="secondary"
        block
        busy={leaving}
        onClick={async () => {
          setLeaving(true);
          await signOut();
        }}
      >
        {t('me.signOut')}
      </Button>
    </Screen>
  );
}
