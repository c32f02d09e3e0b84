import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { followersQuery, idsOf, relationsQuery, removeRelation, type ListKind } from '../../data/people';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { t, type MessageKey } from '../../i18n';
import { Button, EmptyState, ErrorBox, List, Loading, Screen, toast } from '../../ui';
import { PersonRow } from './PersonRow';
import { paths } from './routes';
import '../contacts/contacts.css';
import './people.css';

const KINDS: Record<ListKind, { title: MessageKey; empty: MessageKey; undo?: MessageKey; done?: MessageKey }> = {
  following: { title: 'people.list.following', empty: 'people.empty.following', undo: 'people.unfollow', done: 'people.unfollowed' },
  followers: { title: 'people.list.followers', empty: 'people.empty.followers' },
  requested: { title: 'people.list.requested', empty: 'people.empty.requested', undo: 'people.cancelRequest', done: 'people.requestCancelled' },
  requests: { title: 'people.requests', empty: 'people.empty.requests' },
  hidden: { title: 'people.list.hidden', empty: 'people.empty.hidden', undo: 'people.unhide', done: 'people.unhidden' },
  blocked: { title: 'people.list.blocked', empty: 'people.empty.blocked', undo: 'people.unblock', done: 'people.unblocked' },
};

/** One list of people: whom I follow, who follows me, requests I sent, whom I hid or blocked. */
export default function PeopleList(): JSX.Element {
  const { kind: raw } = useRoute().params as { kind: string };
  const kind: ListKind = raw in KINDS ? (raw as ListKind) : 'following';
  const spec = KINDS[kind];
  const me = activeProfile.value;
  const relationsQ = useQuery(me ? relationsQuery(me.id) : null);
  const followersQ = useQuery(me ? followersQuery(me.id) : null);
  const relations = relationsQ?.data.value;
  const followers = followersQ?.data.value;
  const failed = relationsQ?.error.value ?? followersQ?.error.value;
  const [busy, setBusy] = useState<string | null>(null);

  async function undo(target: string): Promise<void> {
    if (!me) return;
    setBusy(target);
    try {
      await removeRelation(me.id, target);
      if (spec.done) toast(t(spec.done), 'success');
    } catch (error) {
      toast(errorMessage(error, 'people'), 'error');
    } finally {
      setBusy(null);
    }
  }

  let body: JSX.Element;
  if (relations && followers) {
    const ids = idsOf(kind, relations, followers);
    body = ids.length === 0 ? (
      <EmptyState title={t(spec.empty)} />
    ) : (
      <List label={t(spec.title)}>
        {ids.map((id) => (
          <PersonRow
            key={id}
            id={id}
            actions={spec.undo ? <Button class="btn-small" variant="secondary" busy={busy === id} onClick={() => void undo(id)}>{t(spec.undo)}</Button> : undefined}
          />
        ))}
      </List>
    );
  } else if (failed) {
    body = <ErrorBox message={errorMessage(failed, 'people')} onRetry={() => { void relationsQ?.reload(); void followersQ?.reload(); }} retryLabel={t('common.retry')} />;
  } else {
    body = <Loading label={t('common.loading')} />;
  }
  return (
    <Screen title={t(spec.title)} back={paths.home}>
      {me ? <p class="acting-as">{t('people.actingAs', { name: me.name })}</p> : null}
      {body}
    </Screen>
  );
}
