import type { JSX } from 'preact';
import type { ChatRequest } from '../../data/types';
import { requestsQuery } from '../../data/requests';
import { useQuery } from '../../data/query';
import { errorMessage } from '../../app/errors';
import { formatRelative, t } from '../../i18n';
import { Avatar, EmptyState, ErrorBox, List, ListRow, Loading, Screen } from '../../ui';
import { useName } from './names';
import { paths } from './routes';
import './chats.css';

function RequestRow({ request }: { request: ChatRequest }): JSX.Element {
  const name = useName(request.inviter_profile_id);
  const title = request.chat.title ?? name;
  return (
    <ListRow
      href={paths.request(request.chat.id)}
      leading={<Avatar name={name || '?'} />}
      title={title}
      subtitle={<span class="chat-last">{request.first_message?.body ?? t('chat.requestNoMessage')}</span>}
      trailing={<span class="chat-row-time">{formatRelative(request.chat.last_event_at ?? request.requested_at)}</span>}
    />
  );
}

/** The message requests I have not answered (`/app/chats/requests`). */
export default function Requests(): JSX.Element {
  const q = useQuery(requestsQuery());
  const requests = q.data.value;
  return (
    <Screen title={t('chat.requests')} back={paths.home}>
      {requests === undefined ? (
        q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'chat')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />
      ) : requests.length === 0 ? (
        <EmptyState title={t('chat.requestsEmpty')} body={t('chat.requestsEmptyBody')} />
      ) : (
        <List label={t('chat.requests')}>
          {requests.map((request) => <RequestRow key={request.chat.id} request={request} />)}
        </List>
      )}
    </Screen>
  );
}
