import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { answerFollowRequest, followersQuery, idsOf, relationsQuery, searchPeople, type ListKind, type Person } from '../../data/people';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { t, type MessageKey } from '../../i18n';
import { Button, EmptyState, ErrorBox, List, ListRow, Loading, Screen, SearchIcon, toast } from '../../ui';
import { paths as contactPaths } from '../contacts/routes';
import { PersonResult, PersonRow } from './PersonRow';
import { paths } from './routes';
import '../contacts/contacts.css';
import './people.css';

const LISTS: { kind: ListKind; key: MessageKey }[] = [
  { kind: 'following', key: 'people.list.following' },
  { kind: 'followers', key: 'people.list.followers' },
  { kind: 'requested', key: 'people.list.requested' },
  { kind: 'hidden', key: 'people.list.hidden' },
  { kind: 'blocked', key: 'people.list.blocked' },
];

/** A profile id, alone or in a pasted link (`…/app/people/<id>`). */
const PROFILE_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

type Found = { q: string; items: Person[] } | { q: string; error: unknown } | null;

/** People, as the active profile: find someone, answer follow requests, and the lists of relations. */
export default function PeopleScreen(): JSX.Element {
  const me = activeProfile.value;
  const relationsQ = useQuery(me ? relationsQuery(me.id) : null);
  const followersQ = useQuery(me ? followersQuery(me.id) : null);
  const relations = relationsQ?.data.value;
  const followers = followersQ?.data.value;
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Found>(null);
  const [answering, setAnswering] = useState<string | null>(null);

  const byId = PROFILE_ID.exec(search)?.[0]?.toLowerCase();

  useEffect(() => {
    const q = search.trim();
    if (q.length < 2 || PROFILE_ID.test(q)) {
      setFound(null);
      return;
    }
    const stop = new AbortController();
    const timer = setTimeout(() => {
      searchPeople(q, stop.signal).then(
        (items) => setFound({ q, items: items.filter((person) => person.id !== me?.id) }),
        (error: unknown) => {
          if (!stop.signal.aborted) setFound({ q, error });
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [search, me?.id]);

  async function answer(requester: string, accept: boolean): Promise<void> {
    if (!me) return;
    setAnswering(requester);
    try {
      await answerFollowRequest(me.id, requester, accept);
      toast(t(accept ? 'people.accepted' : 'people.declined'), 'success');
    } catch (error) {
      toast(errorMessage(error, 'people'), 'error');
    } finally {
      setAnswering(null);
    }
  }

  const requests = relations && followers ? idsOf('requests', relations, followers) : [];
  const failed = relationsQ?.error.value ?? followersQ?.error.value;
  return (
    <Screen title={t('people.title')} back={contactPaths.home}>
      {me ? <p class="acting-as">{t('people.actingAs', { name: me.name })}</p> : null}
      <div class="search" role="search">
        <SearchIcon class="search-icon" size={20} />
        <label class="visually-hidden" for="people-search">{t('people.search')}</label>
        <input id="people-search" class="field-input search-input" type="search" enterkeyhint="search" autocomplete="off" placeholder={t('people.search')} value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
      </div>
      {search.trim().length === 1 ? <p class="muted small">{t('people.searchHint')}</p> : null}
      {byId ? (
        <div class="search-results">
          <List heading={t('people.results')}>
            <ListRow title={t('people.openById')} subtitle={byId} href={paths.person(byId)} />
          </List>
        </div>
      ) : null}
      {found && found.q === search.trim() ? (
        'error' in found ? (
          <ErrorBox message={errorMessage(found.error, 'people')} />
        ) : found.items.length === 0 ? (
          <EmptyState title={t('people.noMatch', { q: found.q })} />
        ) : (
          <div class="search-results">
            <List heading={t('people.results')}>
              {found.items.map((person) => <PersonResult key={person.id} person={person} />)}
            </List>
          </div>
        )
      ) : null}
      {!me || (!relations && !failed) || (!followers && !failed) ? (
        <Loading label={t('common.loading')} rows={2} />
      ) : failed && (!relations || !followers) ? (
        <ErrorBox message={errorMessage(failed, 'people')} onRetry={() => { void relationsQ?.reload(); void followersQ?.reload(); }} retryLabel={t('common.retry')} />
      ) : (
        <>
          {requests.length ? (
            <List heading={t('people.requests')}>
              {requests.map((id) => (
                <PersonRow
                  key={id}
                  id={id}
                  actions={
                    <>
                      <Button class="btn-small" busy={answering === id} onClick={() => void answer(id, true)}>{t('people.accept')}</Button>
                      <Button class="btn-small" variant="secondary" disabled={answering === id} onClick={() => void answer(id, false)}>{t('people.decline')}</Button>
                    </>
                  }
                />
              ))}
            </List>
          ) : null}
          <List heading={t('people.lists')}>
            {LISTS.map(({ kind, key }) => (
              <ListRow key={kind} title={t(key)} href={paths.list(kind)} trailing={<span class="pill">{relations && followers ? idsOf(kind, relations, followers).length : 0}</span>} />
            ))}
          </List>
        </>
      )}
    </Screen>
  );
}
