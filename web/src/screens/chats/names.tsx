/** Names in chats: a participant's profile name, a chat's title (a direct chat: the other person). */
import type { JSX } from 'preact';
import type { Chat } from '../../data/types';
import { participantsQuery } from '../../data/chat';
import { knownName, personQuery } from '../../data/people';
import { useQuery } from '../../data/query';
import { t } from '../../i18n';
import { Avatar } from '../../ui';

/** The name of a profile (loading: a neutral word; out of sight: the name seen before, if any). */
export function useName(profileId: string | null | undefined): string {
  const q = useQuery(profileId ? personQuery(profileId) : null);
  if (!profileId) return '';
  return q?.data.value?.name ?? knownName(profileId) ?? '…';
}

/** A chat's title: its own, or for a direct chat (or an untitled group) the other participants. */
export function useChatTitle(chat: Chat | undefined): string {
  const q = useQuery(chat && !chat.title ? participantsQuery(chat.id) : null);
  const others = (q?.data.value ?? []).filter((p) => p.profile_id !== chat?.my_profile_id).map((p) => p.profile_id);
  const first = useName(others[0]);
  const second = useName(others[1]);
  if (!chat) return '';
  if (chat.title) return chat.title;
  if (!others.length) return t('chat.untitled');
  const names = [first, second].filter(Boolean).slice(0, others.length);
  return others.length > 2 ? `${names.join(', ')} +${others.length - 2}` : names.join(', ');
}

export function ChatAvatar({ chat, title }: { chat: Chat; title: string }): JSX.Element {
  const q = useQuery(chat.direct ? participantsQuery(chat.id) : null);
  const other = q?.data.value?.find((p) => p.profile_id !== chat.my_profile_id)?.profile_id;
  const person = useQuery(other ? personQuery(other) : null)?.data.value;
  return <Avatar name={title || '?'} src={person?.image_url ?? null} />;
}
