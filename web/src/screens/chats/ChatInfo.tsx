import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { chatQuery, invite, participantsQuery, removeParticipant, renameChat, setMuted } from '../../data/chat';
import { followersQuery, relationsQuery } from '../../data/people';
import { useQuery } from '../../data/query';
import type { Chat, Participant } from '../../data/types';
import { formatDate, t } from '../../i18n';
import { Avatar, Button, ConfirmSheet, ErrorBox, List, ListRow, Loading, Screen, Sheet, Switch, TextField, toast } from '../../ui';
import { useChatTitle, useName } from './names';
import { paths } from './routes';
import './chats.css';

function ParticipantRow({ chat, participant, onKick }: { chat: Chat; participant: Participant; onKick: (id: string, name: string) => void }): JSX.Element {
  const name = useName(participant.profile_id);
  const me = participant.profile_id === chat.my_profile_id;
  const canKick = !chat.direct && !me && chat.owner_profile_id === chat.my_profile_id;
  const subtitle = [participant.owner ? t('chat.owner') : null, me ? t('chat.you') : null, formatDate(participant.joined_at, 'date')].filter(Boolean).join(' · ');
  return (
    <ListRow
      leading={<Avatar name={name} />}
      title={name}
      subtitle={subtitle}
      trailing={canKick ? <Button variant="ghost" onClick={() => onKick(participant.profile_id, name)}>{t('chat.kick')}</Button> : undefined}
    />
  );
}

function InviteRow({ id, onPick }: { id: string; onPick: (id: string) => void }): JSX.Element {
  const name = useName(id);
  return <ListRow leading={<Avatar name={name} />} title={name} onClick={() => onPick(id)} chevron={false} label={`${t('chat.invite')}: ${name}`} />;
}

/** Profiles my chat profile may invite: those it follows or that follow it, not yet here. */
function useInvitable(chat: Chat, participants: Participant[]): string[] {
  const following = useQuery(relationsQuery(chat.my_profile_id)).data.value ?? [];
  const followers = useQuery(followersQuery(chat.my_profile_id)).data.value ?? [];
  const here = new Set(participants.map((p) => p.profile_id));
  const ids = new Set<string>();
  for (const r of following) if (r.status === 'follow') ids.add(r.target_id);
  for (const r of followers) if (r.status === 'follow') ids.add(r.profile_id);
  return [...ids].filter((id) => !here.has(id));
}

function Info({ chat }: { chat: Chat }): JSX.Element {
  const { route } = useLocation();
  const pq = useQuery(participantsQuery(chat.id));
  const participants = pq.data.value ?? [];
  const title = useChatTitle(chat);
  const owner = chat.owner_profile_id === chat.my_profile_id;
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(chat.title ?? '');
  const [inviting, setInviting] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [kick, setKick] = useState<{ id: string; name: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const invitable = useInvitable(chat, participants);

  const act = async (work: () => Promise<unknown>, after?: () => void): Promise<void> => {
    setBusy(true);
    try {
      await work();
      after?.();
    } catch (error) {
      toast(errorMessage(error, 'chat'), 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="chat-info-head">
        <Avatar name={title} size={96} />
        <h2 class="chat-info-title">{title}</h2>
        <p class="chat-info-sub">{chat.direct ? t('chat.direct') : t('chat.groupOf', { count: chat.participant_count })}</p>
      </div>
      <List>
        <li class="row-item chat-info-switch"><Switch label={t('chat.mute')} hint={t('chat.muteHint')} checked={chat.muted} onChange={(muted) => void act(() => setMuted(chat.id, muted))} /></li>
      </List>
      {!chat.direct ? (
        <div class="button-row chat-info-actions">
          {owner ? <Button variant="secondary" onClick={() => { setName(chat.title ?? ''); setRenaming(true); }}>{t('chat.rename')}</Button> : null}
          <Button variant="secondary" onClick={() => setInviting(true)}>{t('chat.invite')}</Button>
        </div>
      ) : null}
      <List heading={t('chat.participants')}>
        {pq.data.value === undefined ? <li><Loading label={t('common.loading')} rows={2} /></li> : participants.map((p) => <ParticipantRow key={p.profile_id} chat={chat} participant={p} onKick={(id, n) => setKick({ id, name: n })} />)}
      </List>
      {!chat.direct ? <Button variant="danger" block onClick={() => setLeaving(true)}>{t('chat.leave')}</Button> : null}

      <Sheet open={renaming} onClose={() => setRenaming(false)} title={t('chat.rename')}>
        <form onSubmit={(event) => { event.preventDefault(); if (name.trim()) void act(() => renameChat(chat.id, name.trim()), () => setRenaming(false)); }}>
          <TextField label={t('chat.renameTitle')} value={name} onValue={setName} maxLength={200} required />
          <Button type="submit" block busy={busy}>{t('chat.save')}</Button>
        </form>
      </Sheet>
      <Sheet open={inviting} onClose={() => setInviting(false)} title={t('chat.inviteTitle')}>
        {invitable.length === 0 ? <p>{t('chat.nobodyToInvite')}</p> : (
          <List>{invitable.map((id) => <InviteRow key={id} id={id} onPick={(pick) => void act(() => invite(chat.id, pick), () => setInviting(false))} />)}</List>
        )}
      </Sheet>
      <ConfirmSheet open={leaving} title={t('chat.leave')} message={t('chat.leaveConfirm')} confirmLabel={t('chat.leave')} danger busy={busy}
        onClose={() => setLeaving(false)}
        onConfirm={() => void act(() => removeParticipant(chat.id, chat.my_profile_id, true), () => { setLeaving(false); route(paths.home, true); })} />
      <ConfirmSheet open={kick !== null} title={t('chat.kick')} message={t('chat.kickConfirm', { name: kick?.name ?? '' })} confirmLabel={t('chat.kick')} danger busy={busy}
        onClose={() => setKick(null)}
        onConfirm={() => { const target = kick; if (target) void act(() => removeParticipant(chat.id, target.id, false), () => setKick(null)); }} />
    </>
  );
}

export default function ChatInfo(): JSX.Element {
  const { params } = useRoute();
  const id = params.id ?? '';
  const q = useQuery(chatQuery(id));
  const chat = q.data.value;
  return (
    <Screen title={t('chat.info')} back={paths.room(id)}>
      {chat ? <Info chat={chat} /> : q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'chat')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />}
    </Screen>
  );
}
