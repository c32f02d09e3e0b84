import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { answerFollowRequest, followersQuery, followerStatus, isSummary, knownName, personCardsQuery, personQuery, relationsQuery, relationTo, removeRelation, setRelation, type Person } from '../../data/people';
import { activeProfile, myProfilesQuery } from '../../data/profiles';
import { useQuery } from '../../data/query';
import type { Card } from '../../data/types';
import type { ReportTarget } from '../../data/reports';
import { subscribe, walletQuery } from '../../data/wallet';
import { t, type MessageKey } from '../../i18n';
import { Avatar, Button, ConfirmSheet, EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, Screen, toast } from '../../ui';
import { paths as chatPaths } from '../chats/routes';
import { ReportSheet } from '../reports/ReportSheet';
import { paths } from './routes';
import './people.css';

type Action = 'follow' | 'hide' | 'block' | 'remove' | 'accept' | 'decline';

const DONE: Record<Action, MessageKey> = {
  follow: 'people.followed',
  hide: 'people.hiddenNow',
  block: 'people.blockedNow',
  remove: 'people.relationRemoved',
  accept: 'people.accepted',
  decline: 'people.declined',
};

/** Someone's profile, as the active profile sees it: who they are, our relation, their cards. */
export default function PersonScreen(): JSX.Element {
  const { id } = useRoute().params as { id: string };
  const me = activeProfile.value;
  const q = useQuery(personQuery(id));
  const person = q.data.value;
  const relations = useQuery(me ? relationsQuery(me.id) : null)?.data.value;
  const followers = useQuery(me ? followersQuery(me.id) : null)?.data.value;
  const mine = useQuery(myProfilesQuery()).data.value;
  const [busy, setBusy] = useState<Action | null>(null);
  const [confirmBlock, setConfirmBlock] = useState(false);
  const [reporting, setReporting] = useState<ReportTarget | null>(null);

  const relation = relationTo(relations, id);
  const follower = followerStatus(followers, id);
  const isMine = Boolean(mine?.some((profile) => profile.id === id));
  const name = person?.name ?? knownName(id) ?? t('people.unavailable');

  async function act(action: Action): Promise<void> {
    if (!me) return;
    setBusy(action);
    try {
      if (action === 'remove') await removeRelation(me.id, id);
      else if (action === 'accept' || action === 'decline') await answerFollowRequest(me.id, id, action === 'accept');
      else {
        const made = await setRelation(me.id, id, action);
        if (made.status === 'follow_requested') {
          toast(t('people.requestSent'), 'success');
          return;
        }
      }
      toast(t(DONE[action]), 'success');
    } catch (error) {
      toast(errorMessage(error, 'people'), 'error');
    } finally {
      setBusy(null);
      setConfirmBlock(false);
    }
  }

  const blockSheet = (
    <ConfirmSheet
      open={confirmBlock}
      title={t('people.blockTitle', { name })}
      message={t('people.blockBody')}
      confirmLabel={t('people.block')}
      danger
      busy={busy === 'block'}
      onConfirm={() => void act('block')}
      onClose={() => setConfirmBlock(false)}
    />
  );

  if (!person) {
    const blocked = relation === 'block';
    return (
      <Screen title={blocked ? name : t('people.title')} back={paths.home}>
        {blocked ? (
          <>
            <div class="person-head">
              <Avatar name={name} size={96} />
              <h2 class="person-name">{name}</h2>
            </div>
            <p class="person-state"><span class="pill">{t('people.state.blocked')}</span></p>
            <p class="form-note">{t('people.blockedNote')}</p>
            <div class="person-buttons">
              <Button variant="secondary" block busy={busy === 'remove'} onClick={() => void act('remove')}>{t('people.unblock')}</Button>
            </div>
          </>
        ) : q.error.value ? (
          <ErrorBox message={errorMessage(q.error.value, 'people')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} />
        ) : (
          <Loading label={t('common.loading')} />
        )}
      </Screen>
    );
  }

  const summary = isSummary(person);
  const states: MessageKey[] = [];
  if (relation === 'follow') states.push('people.state.following');
  if (relation === 'follow_requested') states.push('people.state.requested');
  if (relation === 'hide') states.push('people.state.hidden');
  if (relation === 'block') states.push('people.state.blocked');
  if (follower === 'follow') states.push('people.state.followsYou');
  if (follower === 'follow_requested') states.push('people.state.asksToFollow');

  return (
    <Screen title={person.name} back={paths.home}>
      <div class="person-head">
        <Avatar name={person.name} src={person.image_url} size={96} />
        <h2 class="person-name">{person.name}</h2>
        {!summary && person.team_name ? <p class="person-team">{person.team_name}</p> : null}
        {summary || person.private ? <p class="person-team">{t('people.private')}</p> : null}
        {!summary && person.description ? <p class="person-about">{person.description}</p> : null}
      </div>
      {states.length ? (
        <p class="person-state">{states.map((key) => <span key={key} class="pill">{t(key)}</span>)}</p>
      ) : null}
      {isMine ? (
        <p class="form-note">{t('people.yours')}</p>
      ) : !me || !relations || !followers ? (
        <Loading label={t('common.loading')} rows={1} />
      ) : (
        <div class="person-buttons">
          {follower === 'follow_requested' ? (
            <div class="person-buttons-row">
              <Button busy={busy === 'accept'} onClick={() => void act('accept')}>{t('people.accept')}</Button>
              <Button variant="secondary" busy={busy === 'decline'} onClick={() => void act('decline')}>{t('people.decline')}</Button>
            </div>
          ) : null}
          {relation === 'block' ? (
            <Button variant="secondary" block busy={busy === 'remove'} onClick={() => void act('remove')}>{t('people.unblock')}</Button>
          ) : relation === 'follow' ? (
            <Button variant="secondary" block busy={busy === 'remove'} onClick={() => void act('remove')}>{t('people.unfollow')}</Button>
          ) : relation === 'follow_requested' ? (
            <Button variant="secondary" block busy={busy === 'remove'} onClick={() => void act('remove')}>{t('people.cancelRequest')}</Button>
          ) : relation === 'hide' ? (
            <Button variant="secondary" block busy={busy === 'remove'} onClick={() => void act('remove')}>{t('people.unhide')}</Button>
          ) : (
            <Button block busy={busy === 'follow'} onClick={() => void act('follow')}>{t(summary || person.private ? 'people.requestFollow' : 'people.follow')}</Button>
          )}
          {relation === 'follow' || follower === 'follow' ? (
            <LinkButton variant="secondary" block href={chatPaths.with(id)}>{t('people.message')}</LinkButton>
          ) : null}
          {relation === null ? (
            <div class="person-buttons-row">
              <Button variant="secondary" busy={busy === 'hide'} onClick={() => void act('hide')}>{t('people.hide')}</Button>
              <Button variant="danger" onClick={() => setConfirmBlock(true)}>{t('people.block')}</Button>
            </div>
          ) : relation !== 'block' ? (
            <Button variant="danger" block onClick={() => setConfirmBlock(true)}>{t('people.block')}</Button>
          ) : null}
          {me ? <Button variant="ghost" block onClick={() => setReporting({ kind: 'profile', profile_id: person.id })}>{t('reports.action')}</Button> : null}
        </div>
      )}
      {summary ? (
        <p class="form-note">{t('people.privateNote')}</p>
      ) : relation === 'block' ? null : (
        <PersonCards id={person.id} person={person} isMine={isMine} />
      )}
      {blockSheet}
      {me ? <ReportSheet me={me.id} target={reporting} onClose={() => setReporting(null)} /> : null}
    </Screen>
  );
}

function cardLine(card: Card): string | undefined {
  const pick = (key: string): string | null => {
    const value = card.data[key];
    return typeof value === 'string' && value.trim() ? value.trim() : null;
  };
  return [pick('title'), pick('organization') ?? pick('company')].filter(Boolean).join(' · ') || undefined;
}

function PersonCards({ id, person, isMine }: { id: string; person: Person; isMine: boolean }): JSX.Element {
  const me = activeProfile.value;
  const q = useQuery(personCardsQuery(id));
  const wallet = useQuery(me ? walletQuery(me.id) : null);
  const held = new Set((wallet?.data.value ?? []).map((entry) => entry.card.id));
  const [adding, setAdding] = useState<string | null>(null);
  const cards = q.data.value;

  async function add(card: Card): Promise<void> {
    if (!me) return;
    setAdding(card.id);
    try {
      await subscribe(me.id, card.id);
      toast(t('people.addedToWallet', { name: card.name }), 'success');
    } catch (error) {
      toast(errorMessage(error, 'people'), 'error');
    } finally {
      setAdding(null);
    }
  }

  if (!cards) {
    return q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'people')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} rows={2} />;
  }
  if (cards.length === 0) return <EmptyState title={t('people.noCards', { name: person.name })} />;
  return (
    <List heading={t('people.cards')}>
      {cards.map((card) => (
        <ListRow
          key={card.id}
          title={card.name}
          subtitle={cardLine(card)}
          trailing={
            isMine ? null : held.has(card.id) ? (
              <span class="pill">{t('people.inWallet')}</span>
            ) : (
              <Button class="btn-small" busy={adding === card.id} onClick={() => void add(card)} aria-label={t('people.addCardTo', { name: card.name })}>
                {t('people.addToWallet')}
              </Button>
            )
          }
        />
      ))}
    </List>
  );
}
