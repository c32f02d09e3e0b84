import type { JSX } from 'preact';
import type { Chat, ChatEvent } from '../../data/types';
import { useEffect } from 'preact/hooks';
import { lastEventQuery, refreshLastEvent } from '../../data/chat';
import { useQuery } from '../../data/query';
import { t } from '../../i18n';
import { useName } from './names';

/** A mention in a message's body: `<@profile_id>` (the screen shows the profile's name). */
export const MENTION = /<@([0-9a-fA-F-]{36})>/g;

/** One line saying what an event is (the chat list's last message, a reply's quote). */
export function useEventSummary(event: ChatEvent | null | undefined, myProfileId: string): string {
  const who = useName(event?.profile_id);
  const target = useName(event?.target_profile_id);
  if (!event) return '';
  const name = event.profile_id === myProfileId ? t('chat.you') : who;
  switch (event.type) {
    case 'message':
    case 'message_edited':
      if (event.deleted_at) return t('chat.deleted');
      if (event.body) return event.body.replace(MENTION, '@…');
      if (event.file) return event.file.content_type.startsWith('image/') ? t('chat.photo') : t('chat.file');
      return '';
    case 'message_deleted':
      return t('chat.deleted');
    case 'message_preview':
      return event.preview?.title ?? event.preview?.url ?? t('chat.linkPreview');
    case 'member_joined':
      // The one who joined is the target; `profile_id` is who added them (the chat's maker).
      if (!event.target_profile_id) return t('chat.joined', { name });
      return t('chat.joined', { name: event.target_profile_id === myProfileId ? t('chat.you') : target });
    case 'member_left':
      return t('chat.left', { name });
    case 'member_kicked':
      return t('chat.kicked', { name, target });
    case 'chat_updated':
      return t('chat.updated', { name });
    case 'reaction_added':
      return t('chat.reacted', { name, emoji: event.body ?? '' });
    case 'reaction_removed':
      return t('chat.unreacted', { name, emoji: event.body ?? '' });
    case 'message_pinned':
      return t('chat.pinnedBy', { name });
    case 'message_unpinned':
      return t('chat.unpinnedBy', { name });
  }
}

export function LastMessage({ chat }: { chat: Chat }): JSX.Element {
  const q = useQuery(lastEventQuery(chat.id));
  useEffect(() => refreshLastEvent(chat.id, chat.last_event_index), [chat.id, chat.last_event_index]);
  const event = q.data.value;
  const text = useEventSummary(event, chat.my_profile_id);
  if (chat.last_event_index === 0) return <span class="chat-last">{t('chat.noMessages')}</span>;
  const mine = event?.type === 'message' && event.profile_id === chat.my_profile_id;
  return <span class="chat-last">{mine ? `${t('chat.you')}: ` : ''}{text || '\u00a0'}</span>;
}
