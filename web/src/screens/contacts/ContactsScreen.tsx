import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { allContactsVcard, contactSearchQuery, contactsQuery } from '../../data/contacts';
import { followersQuery, idsOf, relationsQuery } from '../../data/people';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import type { Contact } from '../../data/types';
import { sortByName, t } from '../../i18n';
import { Avatar, Button, CameraIcon, ContactsIcon, EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, PlusIcon, Screen, SearchIcon, toast } from '../../ui';
import { paths as peoplePaths } from '../people/routes';
import { paths as scanPaths } from '../scans/routes';
import { paths } from './routes';
import { saveBlob } from './save';
import './contacts.css';

/** The Contacts tab: paper cards kept by the active profile, searched on the server, sorted the locale's way. */
export default function ContactsScreen(): JSX.Element {
  const me = activeProfile.value;
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const all = useQuery(me ? contactsQuery(me.id) : null);
  const found = useQuery(me && q ? contactSearchQuery(me.id, q) : null);
  const shown = q ? found : all;
  const list = shown?.data.value;
  const requests = useQuery(me ? followersQuery(me.id) : null)?.data.value;
  const relations = useQuery(me ? relationsQuery(me.id) : null)?.data.value;
  const waiting = requests && relations ? idsOf('requests', relations, requests).length : 0;
  const [exporting, setExporting] = useState<string | null>(null);

  async function exportAll(): Promise<void> {
    if (!me) return;
    setExporting(t('contacts.exporting'));
    try {
      const blob = await allContactsVcard(me.id, (done, total) => setExporting(t('contacts.exportProgress', { done, total })));
      saveBlob(blob, 'contacts.vcf');
      toast(t('contacts.exported'), 'success');
    } catch (error) {
      toast(errorMessage(error, 'contacts'), 'error');
    } finally {
      setExporting(null);
    }
  }

  const actions = (
    <>
      <LinkButton href={scanPaths.create} variant="ghost" aria-label={t('scans.new')}><CameraIcon /></LinkButton>
      <LinkButton href={paths.create} variant="ghost" aria-label={t('contacts.new')}><PlusIcon /></LinkButton>
    </>
  );

  return (
    <Screen title={t('contacts.title')} tabs actions={actions}>
      {me ? <p class="acting-as">{t('contacts.of', { name: me.name })}</p> : null}
      <List label={t('contacts.more')}>
        <ListRow
          leading={<span class="row-icon"><ContactsIcon /></span>}
          title={t('people.title')}
          subtitle={t('people.lead')}
          href={peoplePaths.home}
          trailing={waiting ? <span class="pill pill-primary" aria-label={t('people.requestsWaiting', { count: waiting })}>{waiting}</span> : null}
        />
        <ListRow leading={<span class="row-icon"><CameraIcon /></span>} title={t('scans.new')} subtitle={t('scans.lead')} href={scanPaths.create} />
      </List>
      <div class="search" role="search">
        <SearchIcon class="search-icon" size={20} />
        <label class="visually-hidden" for="contact-search">{t('contacts.search')}</label>
        <input id="contact-search" class="field-input search-input" type="search" enterkeyhint="search" placeholder={t('contacts.search')} value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
      </div>
      {!me || (list === undefined && !shown?.error.value) ? (
        <Loading label={t('common.loading')} />
      ) : list === undefined ? (
        <ErrorBox message={errorMessage(shown?.error.value, 'contacts')} onRetry={() => void shown?.reload()} retryLabel={t('common.retry')} />
      ) : list.length === 0 ? (
        q ? (
          <EmptyState title={t('contacts.noMatch', { q })} />
        ) : (
          <EmptyState
            icon={<ContactsIcon size={40} />}
            title={t('contacts.empty')}
            body={t('contacts.emptyBody')}
            action={<LinkButton href={scanPaths.create}>{t('scans.new')}</LinkButton>}
          />
        )
      ) : (
        <>
          <div class="contact-list">
            <List heading={q ? t('contacts.results', { count: list.length }) : t('contacts.count', { count: list.length })}>
              {sortByName(list, (contact) => contact.name).map((contact) => <ContactRow key={contact.id} contact={contact} />)}
            </List>
          </div>
          {q ? null : (
            <Button variant="secondary" block busy={exporting !== null} busyLabel={exporting ?? undefined} onClick={() => void exportAll()}>
              {t('contacts.exportAll')}
            </Button>
          )}
        </>
      )}
    </Screen>
  );
}

function ContactRow({ contact }: { contact: Contact }): JSX.Element {
  const subtitle = [contact.organization, contact.title].filter(Boolean).join(' · ') || contact.phones[0]?.value || contact.emails[0]?.value;
  return <ListRow leading={<Avatar name={contact.name} src={contact.image_url} />} title={contact.name} subtitle={subtitle} href={paths.contact(contact.id)} />;
}
