import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { online } from '../../data/offline';
import { myProfilesQuery } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { HIT_KINDS, mergeHits, searchLocal, searchServer, type Hit, type HitKind, type Hits, type Marked } from '../../data/search';
import { t, type MessageKey } from '../../i18n';
import { Avatar, ChatIcon, EmptyState, List, ListRow, Screen, SearchIcon } from '../../ui';
import { paths as cardPaths } from '../cards/routes';
import { paths as chatPaths } from '../chats/routes';
import { paths as contactPaths } from '../contacts/routes';
import { paths as peoplePaths } from '../people/routes';
import { paths as walletPaths } from '../wallet/routes';
import { paths } from './routes';
import './search.css';

const HEADINGS: Record<HitKind, MessageKey> = {
  cards: 'search.cards',
  contacts: 'search.contacts',
  profiles: 'search.profiles',
  messages: 'search.messages',
};

type ServerState = { q: string; status: 'loading' | 'done' | 'failed'; hits: Hits | null };

/**
 * Search, offline first: the local copy answers as soon as a query is typed; online, the
 * server's hits (messages, and what the copy lacks) follow below them, never moving what is
 * shown. Matches are marked from their offsets (text nodes and <mark>, never markup).
 */
export default function SearchScreen(): JSX.Element {
  const initial = new URLSearchParams(location.search).get('q') ?? '';
  const [input, setInput] = useState(initial);
  const [q, setQ] = useState(initial.trim());
  const [local, setLocal] = useState<{ q: string; hits: Hits | null } | null>(null);
  const [server, setServer] = useState<ServerState | null>(null);
  const isOnline = online.value;
  const mine = useQuery(myProfilesQuery()).data.value;
  const myIds = useMemo(() => new Set((mine ?? []).map((profile) => profile.id)), [mine]);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!initial) field.current?.focus();
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => {
      const next = input.trim();
      setQ(next);
      // The query stays in the URL, so that back from a result comes back to it.
      history.replaceState(history.state, '', paths.query(next));
    }, 200);
    return () => clearTimeout(timer);
  }, [input]);

  useEffect(() => {
    if (!q) return;
    let current = true;
    void searchLocal(q).then(
      (hits) => current && setLocal({ q, hits }),
      () => current && setLocal({ q, hits: null }),
    );
    return () => {
      current = false;
    };
  }, [q]);

  useEffect(() => {
    if (!q || !isOnline) return;
    const controller = new AbortController();
    setServer({ q, status: 'loading', hits: null });
    searchServer(q, myIds, controller.signal).then(
      (hits) => setServer({ q, status: 'done', hits }),
      () => {
        if (!controller.signal.aborted) setServer({ q, status: 'failed', hits: null });
      },
    );
    return () => controller.abort();
  }, [q, isOnline, myIds]);

  const localHits = local?.q === q ? local.hits : null;
  const localDone = local?.q === q;
  const serverNow = server?.q === q && isOnline ? server : null;
  const merged = mergeHits(localHits, serverNow?.hits ?? null);
  const settled = localDone && (!isOnline || (serverNow !== null && serverNow.status !== 'loading'));
  const found = HIT_KINDS.some((kind) => merged[kind].length > 0);

  return (
    <Screen title={t('search.title')} back="/app/wallet">
      <div class="search" role="search">
        <SearchIcon class="search-icon" size={20} />
        <label class="visually-hidden" for="search-field">{t('search.field')}</label>
        <input
          id="search-field"
          ref={field}
          class="field-input search-input"
          type="search"
          enterkeyhint="search"
          autocomplete="off"
          placeholder={t('search.placeholder')}
          value={input}
          onInput={(event) => setInput(event.currentTarget.value)}
        />
      </div>
      {!q ? (
        <p class="search-hint">{t('search.hint')}</p>
      ) : (
        <div class="search-results" aria-busy={settled ? 'false' : 'true'}>
          {isOnline ? null : <p class="search-note" role="status">{t('search.offline')}</p>}
          {(['cards', 'contacts', 'profiles'] as const).map((kind) =>
            merged[kind].length ? (
              <List key={kind} heading={t(HEADINGS[kind])}>
                {merged[kind].map((hit) => <HitRow key={hit.id} hit={hit} />)}
              </List>
            ) : null,
          )}
          <MessagesSection hits={merged.messages} online={isOnline} status={serverNow?.status ?? 'loading'} />
          {settled && !found ? <EmptyState icon={<SearchIcon size={40} />} title={t('search.none', { q })} /> : null}
        </div>
      )}
    </Screen>
  );
}

function MessagesSection({ hits, online: isOnline, status }: { hits: Hit[]; online: boolean; status: ServerState['status'] }): JSX.Element {
  let body: JSX.Element;
  if (!isOnline) body = <p class="search-note">{t('search.messagesOffline')}</p>;
  else if (status === 'loading') body = <p class="search-note search-pending">{t('search.messagesPending')}</p>;
  else if (status === 'failed') body = <p class="search-note">{t('search.messagesFailed')}</p>;
  else if (!hits.length) body = <p class="search-note">{t('search.noMessages')}</p>;
  else {
    body = (
      <ul class="list">
        {hits.map((hit) => (
          <ListRow key={hit.id} leading={<span class="row-icon"><ChatIcon /></span>} title={<Highlighted marked={hit.title} />} href={hit.chatId ? chatPaths.room(hit.chatId) : undefined} />
        ))}
      </ul>
    );
  }
  return (
    <section class="list-section search-messages">
      <h2 class="list-heading">{t('search.messages')}</h2>
      {body}
    </section>
  );
}

function hrefOf(hit: Hit): string {
  if (hit.kind === 'cards') return hit.mine ? cardPaths.edit(hit.id) : walletPaths.card(hit.id);
  if (hit.kind === 'contacts') return contactPaths.contact(hit.id);
  return hit.mine ? '/app/me' : peoplePaths.person(hit.id);
}

function HitRow({ hit }: { hit: Hit }): JSX.Element {
  return (
    <ListRow
      leading={<Avatar name={hit.title.text} src={hit.imageUrl} />}
      title={<Highlighted marked={hit.title} />}
      subtitle={hit.detail ? <Highlighted marked={hit.detail} /> : undefined}
      trailing={hit.kind === 'cards' && hit.mine ? <span class="pill">{t('search.mine')}</span> : undefined}
      href={hrefOf(hit)}
    />
  );
}

/** A text with its matched ranges (code point offsets) in <mark>: text nodes only. */
export function Highlighted({ marked }: { marked: Marked }): JSX.Element {
  const chars = Array.from(marked.text);
  const parts: JSX.Element[] = [];
  let at = 0;
  for (const [start, end] of marked.ranges) {
    if (start < at || end > chars.length || start >= end) continue;
    if (start > at) parts.push(<span key={`t${String(at)}`}>{chars.slice(at, start).join('')}</span>);
    parts.push(<mark key={`m${String(start)}`}>{chars.slice(start, end).join('')}</mark>);
    at = end;
  }
  if (at < chars.length) parts.push(<span key={`t${String(at)}`}>{chars.slice(at).join('')}</span>);
  return <>{parts}</>;
}
