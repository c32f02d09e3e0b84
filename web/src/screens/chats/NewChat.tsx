import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { createChat } from '../../data/chat';
import { followersQuery, relationsQuery } from '../../data/people';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { t } from '../../i18n';
import { Avatar, Button, EmptyState, ErrorBox, Loading, Screen, TextField } from '../../ui';
import { useName } from './names';
import { paths } from './routes';
import './chats.css';

function Candidate({ id, checked, onChange }: { id: string; checked: boolean; onChange: (checked: boolean) => void }): JSX.Element {
  const name = useName(id);
  return (
    <li class="row-item">
      <label class="row row-action chat-pick">
        <Avatar name={name} />
        <span class="row-text"><span class="row-title">{name}</span></span>
        <input type="checkbox" class="chat-pick-box" checked={checked} onChange={(event) => onChange(event.currentTarget.checked)} />
      </label>
    </li>
  );
}

export default function NewChat(): JSX.Element {
  const { query, route } = useLocation();
  const me = activeProfile.value;
  const following = useQuery(me ? relationsQuery(me.id) : null);
  const followers = useQuery(me ? followersQuery(me.id) : null);
  const [picked, setPicked] = useState<string[]>([]);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const withId = query.with;

  const start = async (ids: string[]): Promise<void> => {
    if (!me || ids.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const direct = ids.length === 1;
      const chat = await createChat({ profile_id: me.id, participant_ids: ids, ...(direct ? { direct: true } : {}), ...(!direct && title.trim() ? { title: title.trim() } : {}) });
      route(paths.room(chat.id), true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (withId && me) void start([withId]);
  }, [withId, me?.id]);

  const ids = new Set<string>();
  for (const r of following?.data.value ?? []) if (r.status === 'follow') ids.add(r.target_id);
  for (const r of followers?.data.value ?? []) if (r.status === 'follow') ids.add(r.profile_id);
  const loading = !me || following?.data.value === undefined || followers?.data.value === undefined;
  const toggle = (id: string, on: boolean): void => setPicked((old) => (on ? [...old, id] : old.filter((x) => x !== id)));

  return (
    <Screen title={t('chat.new')} back={paths.home}>
      {error ? <ErrorBox message={errorMessage(error, 'chat')} /> : null}
      {withId ? (
        busy ? <Loading label={t('common.loading')} /> : null
      ) : loading ? (
        <Loading label={t('common.loading')} />
      ) : ids.size === 0 ? (
        <EmptyState title={t('chat.new')} body={t('chat.nobody')} />
      ) : (
        <form onSubmit={(event) => { event.preventDefault(); void start(picked); }}>
          {me ? <p class="chat-as">{t('chat.asProfile', { name: me.name })}</p> : null}
          <fieldset class="chat-pick-set">
            <legend class="list-heading">{t('chat.pick')}</legend>
            <p class="field-hint">{t('chat.pickHint')}</p>
            <ul class="list">
              {[...ids].map((id) => <Candidate key={id} id={id} checked={picked.includes(id)} onChange={(on) => toggle(id, on)} />)}
            </ul>
          </fieldset>
          {picked.length > 1 ? <TextField label={t('chat.groupTitle')} value={title} onValue={setTitle} maxLength={200} /> : null}
          <Button type="submit" block busy={busy} disabled={picked.length === 0}>{t('chat.create')}</Button>
        </form>
      )}
    </Screen>
  );
}
