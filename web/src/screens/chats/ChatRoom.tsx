import { Component, type JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import {
  changeMessage,
  chatQuery,
  chatRoom,
  chatsQuery,
  discardPending,
  fetchPins,
  fetchReplies,
  forwardMessage,
  participantsQuery,
  react,
  setPinned,
  markRead,
  openRoom,
  sendMessage,
  sendPending,
  typingIn,
  type ChatRoom as RoomState,
  type PendingMessage,
} from '../../data/chat';
import { CHANGES } from '../../data/chat-room';
import { fileObjectUrl, useFileUrl } from '../../data/files';
import { sendTyping } from '../../data/live';
import { useQuery } from '../../data/query';
import type { Chat, ChatEvent, LinkPreview, Pin, StoredFile } from '../../data/types';
import { formatDate, formatNumber, t } from '../../i18n';
import { Button, ClockIcon, CloseIcon, ConfirmSheet, ErrorBox, IconButton, Loading, MoreIcon, PlusIcon, Screen, Sheet, toast } from '../../ui';
import { LiveBanner } from './LiveBanner';
import { ScheduledBar, ScheduleSheet } from './Scheduled';
import { MENTION, useEventSummary } from './LastMessage';
import { useChatTitle, useName } from './names';
import { paths } from './routes';
import './chats.css';
import type { ReportTarget } from '../../data/reports';
import { ReportSheet } from '../reports/ReportSheet';

/** Rows rendered at the bottom of the chat; scrolling back renders more, returning trims again. */
const WINDOW = 120;
const GROUP_MS = 5 * 60_000;

type FileRef = Pick<StoredFile, 'id' | 'content_type' | 'size' | 'url'>;

function isImage(file: FileRef | null | undefined): boolean {
  return Boolean(file?.content_type.startsWith('image/'));
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes)} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(Math.round(bytes / 102.4) / 10)} KB`;
  return `${formatNumber(Math.round(bytes / 104857.6) / 10)} MB`;
}

async function download(file: FileRef): Promise<void> {
  const url = await fileObjectUrl(file.url);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${file.id}.${file.content_type.split('/')[1] ?? 'bin'}`;
  link.click();
}

function ImageBox({ file, preview }: { file?: FileRef | null; preview?: string | null }): JSX.Element {
  const url = useFileUrl(preview ?? file?.url ?? null);
  return <span class="msg-image">{url ? <img src={url} alt={t('chat.photo')} loading="lazy" decoding="async" /> : null}</span>;
}

/** A link's preview under its message: the site, the title, the description and our copy of its image. */
function PreviewCard({ preview }: { preview: LinkPreview }): JSX.Element {
  const image = useFileUrl(preview.image ?? null);
  return (
    <a class="msg-preview" href={preview.url} target="_blank" rel="noopener noreferrer nofollow" onClick={(event) => event.stopPropagation()}>
      {image ? <img class="msg-preview-image" src={image} alt="" loading="lazy" decoding="async" /> : null}
      <span class="msg-preview-text">
        {preview.site_name ? <span class="msg-preview-site">{preview.site_name}</span> : null}
        {preview.title ? <span class="msg-preview-title">{preview.title}</span> : null}
        {preview.description ? <span class="msg-preview-description">{preview.description}</span> : null}
      </span>
    </a>
  );
}

function FileRow({ file }: { file: FileRef }): JSX.Element {
  return (
    <span class="msg-file">
      <span class="msg-file-name">{t('chat.file')} · {file.content_type} · {sizeText(file.size)}</span>
      <button type="button" class="msg-file-download" onClick={(event) => { event.stopPropagation(); void download(file).catch(() => toast(errorMessage(null, 'chat'), 'error')); }}>
        {t('chat.download')}
      </button>
    </span>
  );
}

/** Quick reactions offered on a message. */
const QUICK = ['👍', '❤️', '😂', '🎉', '😮', '🙏'];

function MentionName({ id }: { id: string }): JSX.Element {
  const name = useName(id);
  return <span class="msg-mention">@{name || '…'}</span>;
}

/** A body's text, with each `<@profile_id>` shown as that profile's name. */
function Body({ text }: { text: string }): JSX.Element {
  const parts: (string | JSX.Element)[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const at = match.index;
    if (at > last) parts.push(text.slice(last, at));
    parts.push(<MentionName key={at} id={match[1] ?? ''} />);
    last = at + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <span class="msg-text">{parts}</span>;
}

function Forwarded({ id }: { id: string }): JSX.Element {
  const name = useName(id);
  return <span class="msg-forwarded">{t('chat.forwardedFrom', { name: name || '…' })}</span>;
}

interface RowProps {
  event: ChatEvent;
  mine: boolean;
  /** The first of a run by one sender (shows the name). */
  first: boolean;
  /** A day label above the row, when the day changes. */
  day: string | null;
  quote: ChatEvent | null | undefined;
  myProfileId: string;
  /** My edit or deletion of it waits in the outbox. */
  waiting: boolean;
  onOpen: (event: ChatEvent) => void;
  onThread: (event: ChatEvent) => void;
}

function Quote({ event, myProfileId }: { event: ChatEvent; myProfileId: string }): JSX.Element {
  const name = useName(event.profile_id);
  const text = useEventSummary(event, myProfileId);
  return (
    <span class="msg-quote">
      <span class="msg-quote-name">{event.profile_id === myProfileId ? t('chat.you') : name}</span>
      <span class="msg-quote-text">{text}</span>
    </span>
  );
}

function MessageView({ event, mine, first, day, quote, myProfileId, waiting, onOpen, onThread }: RowProps): JSX.Element {
  const name = useName(first && !mine ? event.profile_id : null);
  const summary = useEventSummary(event.type === 'message' ? null : event, myProfileId);
  const dayLine = day ? <div class="msg-day" role="separator"><span>{day}</span></div> : null;
  if (event.type !== 'message') {
    return <div class="msg-row msg-system" data-index={event.index}>{dayLine}<p class="msg-system-text">{summary}</p></div>;
  }
  const deleted = Boolean(event.deleted_at);
  const file = event.file;
  const time = formatDate(event.created_at, 'time');
  return (
    <div class={`msg-row${mine ? ' msg-mine' : ''}${first ? ' msg-first' : ''}`} data-index={event.index}>
      {dayLine}
      {first && !mine ? <span class="msg-name">{name}</span> : null}
      <div class="msg-line">
        <div class={deleted ? 'msg-bubble msg-deleted' : 'msg-bubble'} onClick={deleted ? undefined : () => onOpen(event)} onContextMenu={deleted ? undefined : (e) => { e.preventDefault(); onOpen(event); }}>
          {quote !== undefined && event.target_index ? (quote ? <Quote event={quote} myProfileId={myProfileId} /> : <span class="msg-quote"><span class="msg-quote-text">…</span></span>) : null}
          {!deleted && event.forwarded ? <Forwarded id={event.forwarded.profile_id} /> : null}
          {deleted ? <span class="msg-text">{t('chat.deleted')}</span> : null}
          {!deleted && file && isImage(file) ? <ImageBox file={file} /> : null}
          {!deleted && file && !isImage(file) ? <FileRow file={file} /> : null}
          {!deleted && event.body ? <Body text={event.body} /> : null}
          {!deleted && event.preview ? <PreviewCard preview={event.preview} /> : null}
          <span class="msg-meta">
            {event.edited_at && !deleted ? <span class="msg-edited">{t('chat.edited')} · </span> : null}
            <time dateTime={event.created_at}>{time}</time>
            {waiting ? <span class="msg-waiting" role="status"> · {t('chat.sending')}</span> : null}
          </span>
        </div>
        {deleted ? null : (
          <button type="button" class="msg-more" aria-label={`${t('chat.messageActions')} ${time}`} onClick={() => onOpen(event)}>
            <MoreIcon size={18} />
          </button>
        )}
      </div>
      {!deleted && (event.reactions?.length || event.reply_count) ? (
        <div class="msg-extras">
          {(event.reactions ?? []).map((reaction) => (
            <button
              key={reaction.emoji}
              type="button"
              class={reaction.mine ? 'msg-reaction msg-reaction-mine' : 'msg-reaction'}
              aria-pressed={reaction.mine}
              aria-label={t('chat.reaction', { emoji: reaction.emoji, count: reaction.count })}
              onClick={() => void react(event.chat_id, event.index, reaction.emoji, !reaction.mine).catch((error: unknown) => toast(errorMessage(error, 'chat'), 'error'))}
            >
              {reaction.emoji} {formatNumber(reaction.count)}
            </button>
          ))}
          {event.reply_count ? (
            <button type="button" class="msg-thread-link" onClick={() => onThread(event)}>
              {event.reply_count === 1 ? t('chat.replyOne') : t('chat.replies', { count: event.reply_count })}
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/** A row re-renders only when its own props change (a new event never re-renders the others). */
class MessageRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const now = this.props;
    return next.event !== now.event || next.onThread !== now.onThread || next.first !== now.first || next.day !== now.day || next.quote !== now.quote || next.mine !== now.mine || next.myProfileId !== now.myProfileId || next.waiting !== now.waiting;
  }
  override render(): JSX.Element {
    return <MessageView {...this.props} />;
  }
}

function PendingRow({ message, room }: { message: PendingMessage; room: RoomState }): JSX.Element {
  return (
    <div class="msg-row msg-mine msg-pending">
      <div class="msg-line">
        <div class="msg-bubble">
          {message.file && message.preview ? <ImageBox preview={message.preview} /> : null}
          {message.file && !message.preview ? <span class="msg-file"><span class="msg-file-name">{message.file.name}</span></span> : null}
          {message.body ? <span class="msg-text">{message.body}</span> : null}
          <span class="msg-meta" role="status">
            {message.status === 'failed'
              ? t('chat.failed')
              : message.file && message.progress < 1
                ? t('chat.uploading', { percent: Math.round(message.progress * 100) })
                : t('chat.sending')}
          </span>
          {message.file && message.status === 'sending' ? <progress class="msg-progress" max={1} value={message.progress} aria-label={t('chat.uploading', { percent: Math.round(message.progress * 100) })} /> : null}
        </div>
      </div>
      {message.status === 'failed' ? (
        <div class="msg-pending-actions">
          <Button variant="secondary" onClick={() => void sendPending(room, message.key).catch(() => undefined)}>{t('chat.retry')}</Button>
          <Button variant="ghost" onClick={() => discardPending(room.chatId, message.key)}>{t('chat.discard')}</Button>
        </div>
      ) : null}
    </div>
  );
}

function dayKey(iso: string): string {
  return formatDate(iso, 'date');
}

interface Row {
  event: ChatEvent;
  first: boolean;
  day: string | null;
}

/** Rows from events: edits and deletions change their message instead of showing a row. */
function toRows(events: ChatEvent[], start: number): Row[] {
  const rows: Row[] = [];
  let previous: ChatEvent | null = null;
  for (let i = start; i < events.length; i++) {
    const event = events[i];
    if (!event || CHANGES.has(event.type) || event.type === 'reaction_added' || event.type === 'reaction_removed') continue;
    const day = dayKey(event.created_at);
    const newDay = !previous || dayKey(previous.created_at) !== day;
    const first = newDay || previous?.type !== 'message' || event.type !== 'message' || previous.profile_id !== event.profile_id || Date.parse(event.created_at) - Date.parse(previous.created_at) > GROUP_MS;
    rows.push({ event, first, day: newDay ? day : null });
    previous = event;
  }
  return rows;
}

function Typing({ chatId }: { chatId: string }): JSX.Element {
  const typing = typingIn(chatId).value;
  const name = useName(typing[0]);
  const text = typing.length === 0 ? '' : typing.length === 1 ? t('chat.typingOne', { name }) : t('chat.typingMany');
  return <p class="chat-typing" aria-live="polite">{text}</p>;
}

function MessageList({ chat, room, onOpen, onThread, scrollSignal }: { chat: Chat; room: RoomState; onOpen: (event: ChatEvent) => void; onThread: (event: ChatEvent) => void; scrollSignal: number }): JSX.Element {
  const events = room.events.value;
  const pending = room.pending.value;
  const waiting = room.waiting.value;
  const scroller = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const [limit, setLimit] = useState(WINDOW);
  const [atBottom, setAtBottom] = useState(true);
  const [hasNew, setHasNew] = useState(false);
  const newest = events[events.length - 1];
  const start = Math.max(0, events.length - limit);
  const rows = useMemo(() => toRows(events, start), [events, start]);
  const quotes = useMemo(() => {
    const found = new Map<number, ChatEvent | null>();
    for (const row of rows) if (row.event.target_index && row.event.type === 'message') found.set(row.event.index, room.find(row.event.target_index) ?? null);
    return found;
  }, [rows, room]);

  // The top of the window: render more of what is loaded, or load the page before it. The
  // view keeps its place (its distance from the bottom: column-reverse's scrollTop) while rows
  // are added above it, then the sentinel is looked at again.
  const state = useRef({ start, loaded: events.length, limit });
  state.current = { start, loaded: events.length, limit };
  const keep = useRef<number | null>(null);
  const observer = useRef<IntersectionObserver | null>(null);
  useEffect(() => {
    const target = top.current;
    const root = scroller.current;
    if (!target || !root) return;
    const watcher = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      if (state.current.start > 0) {
        keep.current = root.scrollTop;
        setLimit(state.current.limit + WINDOW);
      } else if (room.hasOlder.value && !room.loadingOlder.value) {
        keep.current = root.scrollTop;
        void room.loadOlder().then((count) => {
          if (count) setLimit((old) => old + count);
        });
      }
    }, { root, rootMargin: '600px 0px 0px 0px' });
    watcher.observe(target);
    observer.current = watcher;
    return () => watcher.disconnect();
  }, [room, room.loaded.value]);
  useLayoutEffect(() => {
    const root = scroller.current;
    const target = top.current;
    if (keep.current === null || !root) return;
    root.scrollTop = keep.current;
    keep.current = null;
    if (target && observer.current) {
      observer.current.unobserve(target);
      observer.current.observe(target);
    }
  }, [rows]);

  // The newest event on screen: mark the chat read.
  useEffect(() => {
    const target = bottom.current;
    const root = scroller.current;
    if (!target || !root) return;
    const observer = new IntersectionObserver((entries) => {
      const last = room.events.value[room.events.value.length - 1];
      if (entries.some((entry) => entry.isIntersecting) && last && document.visibilityState === 'visible') void markRead(chat.id, last.index);
    }, { root });
    observer.observe(target);
    return () => observer.disconnect();
  }, [room, chat.id]);

  useEffect(() => {
    if (!newest) return;
    if (atBottom) {
      if (document.visibilityState === 'visible') void markRead(chat.id, newest.index);
    } else if (newest.profile_id !== chat.my_profile_id) {
      setHasNew(true);
    }
  }, [newest?.index]);

  const toBottom = (): void => {
    const el = scroller.current;
    if (el) el.scrollTop = 0;
    setHasNew(false);
    setLimit(WINDOW);
  };
  useLayoutEffect(() => {
    if (scrollSignal) toBottom();
  }, [scrollSignal]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    // column-reverse: 0 at the bottom, negative scrolled up.
    const near = el.scrollTop > -80;
    if (near !== atBottom) setAtBottom(near);
    if (near) {
      setHasNew(false);
      if (limit > WINDOW) setLimit(WINDOW);
    }
  };

  const myProfileId = chat.my_profile_id;
  return (
    <div class="chat-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label={t('chat.title')} role="log">
      <div class="chat-list">
        <div ref={top} class="chat-top">
          {room.loaded.value && start === 0 && !room.hasOlder.value ? <p class="chat-start">{t('chat.start')}</p> : <p class="chat-start">{room.loadingOlder.value ? t('chat.loadingOlder') : '\u00a0'}</p>}
        </div>
        {rows.map((row) => (
          <MessageRow key={row.event.index} event={row.event} first={row.first} day={row.day} mine={row.event.profile_id === myProfileId} quote={quotes.get(row.event.index)} myProfileId={myProfileId} waiting={waiting.has(row.event.index)} onOpen={onOpen} onThread={onThread} />
        ))}
        {pending.map((message) => <PendingRow key={message.key} message={message} room={room} />)}
        <div ref={bottom} class="chat-bottom" />
      </div>
      {hasNew && !atBottom ? (
        <button type="button" class="chat-jump" onClick={toBottom}>{t('chat.newMessages')} ↓</button>
      ) : null}
    </div>
  );
}

function MentionOption({ profileId, onPick }: { profileId: string; onPick: () => void }): JSX.Element {
  const name = useName(profileId);
  return <button type="button" class="composer-mention" onMouseDown={(event) => event.preventDefault()} onClick={onPick}>@{name || '…'}</button>;
}

/** While the word being typed starts with `@`: the chat's other participants to mention. */
function MentionPicker({ chat, text, onPick }: { chat: Chat; text: string; onPick: (profileId: string) => void }): JSX.Element | null {
  const q = useQuery(participantsQuery(chat.id));
  if (!/(^|\s)@\S*$/.test(text)) return null;
  const others = (q.data.value ?? []).filter((p) => p.profile_id !== chat.my_profile_id);
  if (!others.length) return null;
  return (
    <div class="composer-mentions" role="group" aria-label={t('chat.mention')}>
      {others.map((p) => <MentionOption key={p.profile_id} profileId={p.profile_id} onPick={() => onPick(p.profile_id)} />)}
    </div>
  );
}

function Composer({ chat, reply, editing, onDone, onSent }: { chat: Chat; reply: ChatEvent | null; editing: ChatEvent | null; onDone: () => void; onSent: () => void }): JSX.Element {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [scheduling, setScheduling] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const replyName = useName(reply?.profile_id);

  // The message's text is in the field in the same task as the tap on "Edit" (an effect after
  // the paint would overwrite whatever was typed in between).
  useLayoutEffect(() => {
    if (editing) setText(editing.body ?? '');
  }, [editing]);
  // Focus after the paint: the actions sheet has closed by then (a modal makes the field inert).
  useEffect(() => {
    if (editing || reply) area.current?.focus();
  }, [editing, reply]);
  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const pick = (chosen: File | null): void => {
    setFile(chosen);
    setPreview(chosen && chosen.type.startsWith('image/') ? URL.createObjectURL(chosen) : null);
  };

  const submit = async (): Promise<void> => {
    const body = text.trim();
    if (editing) {
      if (!body || body === editing.body) return onDone();
      setBusy(true);
      try {
        await changeMessage(chat.id, editing.index, { body });
        setText('');
        onDone();
      } catch (error) {
        toast(errorMessage(error, 'chat'), 'error');
      } finally {
        setBusy(false);
      }
      return;
    }
    if (!body && !file) return;
    const replyTo = reply?.index ?? null;
    setText('');
    pick(null);
    onDone();
    onSent();
    // Failures stay in the list as "not sent" with retry.
    void sendMessage(chat.id, body, file, replyTo).catch((error: unknown) => toast(errorMessage(error, 'chat'), 'error'));
  };

  const onInput = (value: string): void => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > 2000) {
      lastTyping.current = now;
      sendTyping(chat.id);
    }
  };

  return (
    <>
      <form class="composer" onSubmit={(event) => { event.preventDefault(); void submit(); }}>
        {reply || editing ? (
          <div class="composer-context">
            <span class="composer-context-text">{editing ? t('chat.editing') : t('chat.replyingTo', { name: reply?.profile_id === chat.my_profile_id ? t('chat.you') : replyName })}</span>
            <IconButton label={t('chat.cancel')} onClick={() => { setText(editing ? '' : text); onDone(); }}><CloseIcon size={18} /></IconButton>
          </div>
        ) : null}
        {file ? (
          <div class="composer-attachment">
            {preview ? <span class="composer-thumb"><img src={preview} alt={file.name} /></span> : <span class="composer-file">{file.name} · {sizeText(file.size)}</span>}
            <IconButton label={t('chat.removeAttachment')} onClick={() => pick(null)}><CloseIcon size={18} /></IconButton>
          </div>
        ) : null}
        <MentionPicker chat={chat} text={text} onPick={(profileId) => { setText(text.replace(/@\S*$/, `<@${profileId}> `)); area.current?.focus(); }} />
        <div class="composer-row">
          {editing ? null : (
            <>
              <IconButton label={t('chat.attach')} onClick={() => input.current?.click()}><PlusIcon /></IconButton>
              <input ref={input} type="file" hidden accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain" onChange={(event) => { pick(event.currentTarget.files?.[0] ?? null); event.currentTarget.value = ''; }} />
            </>
          )}
          <textarea
            ref={area}
            class="composer-input"
            rows={1}
            maxLength={8000}
            aria-label={t('chat.messageLabel')}
            placeholder={t('chat.messageLabel')}
            value={text}
            onInput={(event) => onInput(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                event.preventDefault();
                void submit();
              }
            }}
          />
          {!editing && (file || text.trim()) ? <IconButton label={t('chat.schedule')} onClick={() => setScheduling(true)}><ClockIcon /></IconButton> : null}
          <Button type="submit" busy={busy} disabled={!editing && !text.trim() && !file}>{editing ? t('chat.save') : t('chat.send')}</Button>
        </div>
      </form>
      <ScheduleSheet chatId={chat.id} body={text.trim()} file={file} open={scheduling} onClose={() => setScheduling(false)} onScheduled={() => { setText(''); pick(null); onDone(); }} />
    </>
  );
}

interface ActionsProps {
  chat: Chat;
  event: ChatEvent | null;
  pinned: boolean;
  onClose: () => void;
  onReply: (e: ChatEvent) => void;
  onEdit: (e: ChatEvent) => void;
  onThread: (e: ChatEvent) => void;
  onForward: (e: ChatEvent) => void;
  onPinsChanged: () => void;
}

function Actions({ chat, event, pinned, onClose, onReply, onEdit, onThread, onForward, onPinsChanged }: ActionsProps): JSX.Element {
  const [confirm, setConfirm] = useState<ChatEvent | null>(null);
  const [reporting, setReporting] = useState<ReportTarget | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = event?.profile_id === chat.my_profile_id;
  const owner = chat.owner_profile_id === chat.my_profile_id;
  const fail = (error: unknown): void => toast(errorMessage(error, 'chat'), 'error');
  return (
    <>
      <Sheet open={event !== null} onClose={onClose} title={t('chat.messageActions')}>
        {event ? (
          <div class="sheet-actions">
            <div class="msg-quick" role="group" aria-label={t('chat.react')}>
              {QUICK.map((emoji) => {
                const on = Boolean(event.reactions?.some((r) => r.emoji === emoji && r.mine));
                return (
                  <button key={emoji} type="button" class={on ? 'msg-reaction msg-reaction-mine' : 'msg-reaction'} aria-pressed={on} aria-label={`${t('chat.react')} ${emoji}`} onClick={() => { void react(chat.id, event.index, emoji, !on).catch(fail); onClose(); }}>
                    {emoji}
                  </button>
                );
              })}
            </div>
            <Button variant="secondary" block onClick={() => { onReply(event); onClose(); }}>{t('chat.reply')}</Button>
            <Button variant="secondary" block onClick={() => { onThread(event); onClose(); }}>{t('chat.thread')}</Button>
            {owner || chat.direct ? <Button variant="secondary" block onClick={() => { void setPinned(chat.id, event.index, !pinned).then(onPinsChanged, fail); onClose(); }}>{pinned ? t('chat.unpin') : t('chat.pin')}</Button> : null}
            <Button variant="secondary" block onClick={() => { onForward(event); onClose(); }}>{t('chat.forward')}</Button>
            {event.body ? <Button variant="secondary" block onClick={() => { void navigator.clipboard?.writeText(event.body ?? '').then(() => toast(t('chat.copied'), 'success'), () => undefined); onClose(); }}>{t('chat.copy')}</Button> : null}
            {event.file ? <Button variant="secondary" block onClick={() => { const f = event.file; if (f) void download(f); onClose(); }}>{t('chat.download')}</Button> : null}
            {mine && event.body !== null && event.body !== undefined ? <Button variant="secondary" block onClick={() => { onEdit(event); onClose(); }}>{t('chat.edit')}</Button> : null}
            {mine || owner ? <Button variant="danger" block onClick={() => { setConfirm(event); onClose(); }}>{t('chat.delete')}</Button> : null}
            {!mine && event.type === 'message' && !event.deleted_at ? <Button variant="ghost" block onClick={() => { setReporting({ kind: 'message', chat_id: chat.id, index: event.index }); onClose(); }}>{t('reports.action')}</Button> : null}
          </div>
        ) : null}
      </Sheet>
      <ReportSheet me={chat.my_profile_id} target={reporting} onClose={() => setReporting(null)} />
      <ConfirmSheet
        open={confirm !== null}
        title={t('chat.delete')}
        message={t('chat.deleteConfirm')}
        confirmLabel={t('chat.delete')}
        danger
        busy={busy}
        onClose={() => setConfirm(null)}
        onConfirm={() => {
          if (!confirm) return;
          setBusy(true);
          changeMessage(chat.id, confirm.index, { deleted: true })
            .then(() => setConfirm(null), (error: unknown) => toast(errorMessage(error, 'chat'), 'error'))
            .finally(() => setBusy(false));
        }}
      />
    </>
  );
}

function Thread({ chat, root, onClose }: { chat: Chat; root: ChatEvent | null; onClose: () => void }): JSX.Element {
  const [replies, setReplies] = useState<ChatEvent[] | null>(null);
  useEffect(() => {
    setReplies(null);
    if (root) void fetchReplies(chat.id, root.index).then((page) => setReplies(page.events), (error: unknown) => toast(errorMessage(error, 'chat'), 'error'));
  }, [root?.index, root?.reply_count]);
  return (
    <Sheet open={root !== null} onClose={onClose} title={t('chat.thread')}>
      {root ? (
        <div class="chat-thread">
          <ThreadLine event={root} myProfileId={chat.my_profile_id} />
          {replies === null ? <Loading label={t('common.loading')} rows={2} /> : replies.length === 0 ? <p class="chat-start">{t('chat.noReplies')}</p> : replies.map((reply) => <ThreadLine key={reply.index} event={reply} myProfileId={chat.my_profile_id} />)}
        </div>
      ) : null}
    </Sheet>
  );
}

function ThreadLine({ event, myProfileId }: { event: ChatEvent; myProfileId: string }): JSX.Element {
  const name = useName(event.profile_id);
  return (
    <p class="chat-thread-line">
      <span class="msg-quote-name">{event.profile_id === myProfileId ? t('chat.you') : name}</span>{' '}
      {event.deleted_at ? t('chat.deleted') : event.body ? <Body text={event.body} /> : event.file ? t('chat.file') : null}
    </p>
  );
}

function ForwardSheet({ chat, event, onClose }: { chat: Chat; event: ChatEvent | null; onClose: () => void }): JSX.Element {
  const q = useQuery(chatsQuery());
  const others = (q.data.value ?? []).filter((other) => other.id !== chat.id);
  return (
    <Sheet open={event !== null} onClose={onClose} title={t('chat.forwardTo')}>
      {event ? (
        <div class="sheet-actions">
          {others.map((other) => <ForwardTarget key={other.id} target={other} onPick={() => { void forwardMessage(chat.id, event.index, other.id).then(() => toast(t('chat.forwardDone'), 'success'), (error: unknown) => toast(errorMessage(error, 'chat'), 'error')); onClose(); }} />)}
        </div>
      ) : null}
    </Sheet>
  );
}

function ForwardTarget({ target, onPick }: { target: Chat; onPick: () => void }): JSX.Element {
  const title = useChatTitle(target);
  return <Button variant="secondary" block onClick={onPick}>{title || t('chat.untitled')}</Button>;
}

function PinsBar({ chat, pins, onOpen }: { chat: Chat; pins: Pin[]; onOpen: (index: number) => void }): JSX.Element | null {
  const [open, setOpen] = useState(false);
  if (!pins.length) return null;
  return (
    <>
      <button type="button" class="chat-pins" onClick={() => setOpen(true)}>📌 {t('chat.pinsCount', { count: pins.length })}</button>
      <Sheet open={open} onClose={() => setOpen(false)} title={t('chat.pins')}>
        <div class="chat-thread">
          {pins.map((pin) => (
            <button key={pin.index} type="button" class="chat-pin-line" onClick={() => { setOpen(false); onOpen(pin.index); }}>
              <ThreadLine event={pin.message} myProfileId={chat.my_profile_id} />
            </button>
          ))}
        </div>
      </Sheet>
    </>
  );
}

function Room({ chat }: { chat: Chat }): JSX.Element {
  const room = chatRoom(chat.id);
  room.me = chat.my_profile_id;
  const [selected, setSelected] = useState<ChatEvent | null>(null);
  const [thread, setThread] = useState<ChatEvent | null>(null);
  const [forwarding, setForwarding] = useState<ChatEvent | null>(null);
  const [pins, setPins] = useState<Pin[]>([]);
  const loadPins = (): void => void fetchPins(chat.id).then(setPins, () => undefined);
  // Pins change with the chat's pin events (mine or anyone's).
  const lastPinEvent = room.events.value.filter((e) => e.type === 'message_pinned' || e.type === 'message_unpinned').length;
  useEffect(loadPins, [chat.id, lastPinEvent]);
  const openThread = useMemo(() => (event: ChatEvent) => setThread(event), []);
  const [reply, setReply] = useState<ChatEvent | null>(null);
  const [editing, setEditing] = useState<ChatEvent | null>(null);
  const [scrollSignal, setScrollSignal] = useState(0);
  useEffect(() => openRoom(chat.id, chat.last_event_index), [chat.id]);
  if (!room.loaded.value) {
    if (room.error.value) return <ErrorBox message={errorMessage(room.error.value, 'chat')} onRetry={() => void room.start(chat.last_event_index)} retryLabel={t('common.retry')} />;
    return <Loading label={t('common.loading')} rows={6} />;
  }
  return (
    <div class="chat-room">
      <LiveBanner />
      <PinsBar chat={chat} pins={pins} onOpen={(index) => { const found = room.find(index); if (found) setThread(found); }} />
      <MessageList chat={chat} room={room} onOpen={setSelected} onThread={openThread} scrollSignal={scrollSignal} />
      <Typing chatId={chat.id} />
      <ScheduledBar chatId={chat.id} newest={room.newest} />
      <Composer chat={chat} reply={reply} editing={editing} onDone={() => { setReply(null); setEditing(null); }} onSent={() => setScrollSignal((n) => n + 1)} />
      <Actions chat={chat} event={selected} pinned={pins.some((pin) => pin.index === selected?.index)} onClose={() => setSelected(null)} onReply={(e) => { setEditing(null); setReply(e); }} onEdit={(e) => { setReply(null); setEditing(e); }} onThread={setThread} onForward={setForwarding} onPinsChanged={loadPins} />
      <Thread chat={chat} root={thread ? (room.find(thread.index) ?? thread) : null} onClose={() => setThread(null)} />
      <ForwardSheet chat={chat} event={forwarding} onClose={() => setForwarding(null)} />
    </div>
  );
}

export default function ChatRoomScreen(): JSX.Element {
  const { params } = useRoute();
  const id = params.id ?? '';
  const q = useQuery(chatQuery(id));
  const chat = q.data.value;
  const title = useChatTitle(chat);
  const actions = chat ? (
    <a class="icon-btn" href={paths.info(chat.id)} aria-label={t('chat.info')}>
      <MoreIcon />
    </a>
  ) : null;
  return (
    <Screen title={title || t('chat.title')} back={paths.home} actions={actions}>
      {chat ? <Room key={chat.id} chat={chat} /> : q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'chat')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} rows={6} />}
    </Screen>
  );
}
