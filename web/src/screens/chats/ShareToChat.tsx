import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { chatsQuery, sendMessage } from '../../data/chat';
import { useQuery } from '../../data/query';
import { clearShared, readShared, type SharedItem } from '../../data/shared';
import type { Chat } from '../../data/types';
import { t } from '../../i18n';
import { Button, EmptyState, ErrorBox, List, ListRow, Loading, Screen, toast } from '../../ui';
import { ChatAvatar, useChatTitle } from './names';
import { paths } from './routes';
import './chats.css';

function ChatChoice({ chat, onPick }: { chat: Chat; onPick: (chat: Chat) => void }): JSX.Element {
  const title = useChatTitle(chat);
  return <ListRow leading={<ChatAvatar chat={chat} title={title} />} title={title} onClick={() => onPick(chat)} />;
}

function Preview({ item }: { item: SharedItem }): JSX.Element {
  const image = useMemo(() => (item.file?.type.startsWith('image/') ? URL.createObjectURL(item.file) : null), [item.file]);
  useEffect(() => () => { if (image) URL.revokeObjectURL(image); }, [image]);
  return (
    <figure class="share-preview">
      {image ? <img src={image} alt={t('chat.photo')} class="share-preview-image" /> : null}
      {item.text ? <figcaption class="share-preview-text">{item.text}</figcaption> : null}
    </figure>
  );
}

/** "Send to chat": what another app shared to B.Ca, and my chats to send it to. */
export default function ShareToChat(): JSX.Element {
  const { route } = useLocation();
  const [item, setItem] = useState<SharedItem | null | undefined>(undefined);
  const chats = useQuery(chatsQuery());
  useEffect(() => {
    readShared().then(setItem, () => setItem(null));
  }, []);

  const pick = (chat: Chat): void => {
    if (!item) return;
    // The room shows the message as pending at once and sends it (retried, sent once).
    sendMessage(chat.id, item.text, item.file, null).catch((error: unknown) => toast(errorMessage(error, 'chat'), 'error'));
    void clearShared();
    route(paths.room(chat.id), true);
  };
  const dismiss = (): void => {
    void clearShared();
    route(paths.home, true);
  };

  const list = chats.data.value;
  return (
    <Screen title={t('chat.shareTitle')} back={paths.home}>
      {item === undefined ? (
        <Loading label={t('common.loading')} />
      ) : item === null ? (
        <EmptyState title={t('chat.shareNothing')} body={t('chat.shareNothingBody')} />
      ) : (
        <>
          <Preview item={item} />
          {list === undefined ? (
            chats.error.value ? <ErrorBox message={errorMessage(chats.error.value, 'chat')} onRetry={() => void chats.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />
          ) : list.length === 0 ? (
            <EmptyState title={t('chat.empty')} body={t('chat.emptyBody')} />
          ) : (
            <List heading={t('chat.sharePick')}>
              {list.map((chat) => <ChatChoice key={chat.id} chat={chat} onPick={pick} />)}
            </List>
          )}
          <Button variant="secondary" block onClick={dismiss}>{t('chat.shareCancel')}</Button>
        </>
      )}
    </Screen>
  );
}
