import type { JSX } from 'preact';
import type { Chat } from '../../data/types';
import { chatsQuery } from '../../data/chat';
import { requestsQuery } from '../../data/requests';
import { useQuery } from '../../data/query';
import { errorMessage } from '../../app/errors';
import { formatRelative, t } from '../../i18n';
import { EmptyState, ErrorBox, LinkButton, List, ListRow, Loading, PlusIcon, Screen } from '../../ui';
import { LiveBanner } from './LiveBanner';
import { ChatAvatar, useChatTitle } from './names';
import { LastMessage } from './LastMessage';
import { paths } from './routes';
import './chats.css';

function ChatRow({ chat }: { chat: Chat }): JSX.Element {
  const title = useChatTitle(chat);
  const unread = chat.muted ? 0 : chat.unread_count;
  return (
    <ListRow
      href={paths.room(chat.id)}
      leading={<ChatAvatar chat={chat} title={title} />}
      title={<span class="chat-row-title">{title}{chat.muted ? <span class="chat-muted"> · {t('chat.muted')}</span> : null}</span>}
      subtitle={<LastMessage chat={chat} />}
      chevron={false}
      trailing={
        <span class="chat-row-side">
          <span class="chat-row-time">{chat.last_event_at ? formatRelative(chat.last_event_at) : ''}</span>
          {chat.unread_mentions ? (
            <span class="chat-badge chat-mention-badge" aria-label={t('chat.mentions', { count: chat.unread_mentions })}>@</span>
          ) : null}
          {chat.unread_count > 0 ? (
            <span class={unread ? 'chat-badge' : 'chat-badge chat-badge-muted'} aria-label={t('chat.unread', { count: chat.unread_count })}>
              {chat.unread_count > 999 ? '999+' : chat.unread_count}
            </span>
          ) : null}
        </span>
      }
    />
  );
}

/** The way to my message requests, with their count (shown while there are any). */
function RequestsEntry(): JSX.Element | null {
  const count = useQuery(requestsQuery()).data.value?.length ?? 0;
  if (count === 0) return null;
  return (
    <div class="chat-requests-entry">
      <List label={t('chat.requests')}>
        <ListRow
          href={paths.requests}
          title={t('chat.requests')}
          trailing={<span class="chat-badge chat-badge-muted">{count > 99 ? '99+' : count}</span>}
        />
      </List>
    </div>
  );
}

export default function ChatsScreen(): JSX.Element {
  const q = useQuery(chatsQuery());
  const chats = q.data.value;
  const actions = (
    <a class="icon-btn" href={paths.create} aria-label={t('chat.new')}>
      <PlusIcon />
    </a>
  );
  return (
    <Screen title={t('chat.title')} tabs actions={actions}>
      <LiveBanner />
      <RequestsEntry />
      {chats === undefined ? (
        q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'chat')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />
      ) : chats.length === 0 ? (
        <EmptyState title={t('chat.empty')} body={t('chat.emptyBody')} action={<LinkButton href={paths.create}>{t('chat.new')}</LinkButton>} />
      ) : (
        <List label={t('chat.title')}>
          {chats.map((chat) => <ChatRow key={chat.id} chat={chat} />)}
        </List>
      )}
    </Screen>
  );
}
