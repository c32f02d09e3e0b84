/**
 * One chat's messages on this device: the events loaded so far, in `index` order, merged by
 * index (a page and a live event never show one message twice), read backwards page by page;
 * and the messages being sent. Pure state over an injected fetcher (unit-tested).
 */
import { signal, type Signal } from '@preact/signals';
import { newIdempotencyKey } from '../api/client';
import type { ChatEvent, EventsPage } from '../api/types';

/** Events that change a message rather than show a row of their own. */
export const CHANGES: ReadonlySet<ChatEvent['type']> = new Set(['message_edited', 'message_deleted', 'message_preview']);

/** Events per history page. */
export const HISTORY_PAGE = 50;

/** A message being sent (or that failed): shown after the chat's events until it lands. */
export interface PendingMessage {
  key: string;
  body: string;
  file: File | null;
  /** A `blob:` preview of an image being sent. */
  preview: string | null;
  replyTo: number | null;
  status: 'sending' | 'failed';
  /** Upload progress 0..1 (files). */
  progress: number;
  /** The uploaded file, kept so that a retry does not upload again. */
  fileId: string | null;
}

export type Fetcher = (chatId: string, after: number, limit: number) => Promise<EventsPage>;

/** An edit (the new text) or a deletion of my message, made here and waiting in the outbox. */
export type LocalChange = { body: string } | { deleted: true };

function changedLocally(target: ChatEvent, change: LocalChange, at: string): ChatEvent {
  if ('deleted' in change) return { ...target, body: null, file: null, deleted_at: at };
  return { ...target, body: change.body, edited_at: at };
}

/**
 * A message after an edit, a deletion or a link preview event, or null when the event changes nothing (not a
 * message, already deleted, or the copy held already shows this edit or a later one).
 */
export function changedBy(target: ChatEvent, change: ChatEvent): ChatEvent | null {
  if (target.type !== 'message' || target.deleted_at) return null;
  if (change.type === 'message_preview') return target.preview ? null : { ...target, preview: change.preview ?? null };
  if (change.type === 'message_deleted') return { ...target, body: null, file: null, deleted_at: change.created_at };
  if (change.type !== 'message_edited') return null;
  if (target.edited_at && Date.parse(target.edited_at) >= Date.parse(change.created_at)) return null;
  return { ...target, body: change.body ?? target.body, edited_at: change.created_at };
}

/** The events of one chat loaded so far. Pure state + fetches (unit-tested with a fake fetcher). */
export class ChatRoom {
  /** Loaded events, ascending by index, one per index. Edits and deletions of loaded messages
   *  replace the message's object (other rows keep theirs: a list re-renders only what changed). */
  readonly events: Signal<ChatEvent[]> = signal([]);
  readonly pending: Signal<PendingMessage[]> = signal([]);
  readonly hasOlder = signal(true);
  readonly loadingOlder = signal(false);
  readonly loaded = signal(false);
  readonly error = signal<unknown>(null);
  /** Indices of my messages whose edit or deletion waits in the outbox (shown as waiting). */
  readonly waiting = signal<ReadonlySet<number>>(new Set());
  private readonly byIndex = new Map<number, ChatEvent>();
  /** Those changes, and the message as the server had it (put back if the change is refused). */
  private readonly localChanges = new Map<number, { change: LocalChange; at: string; original: ChatEvent | undefined; shown: ChatEvent | undefined }>();
  private started: Promise<void> | null = null;

  constructor(
    readonly chatId: string,
    private readonly fetchPage: Fetcher,
  ) {}

  get oldest(): number {
    return this.events.value[0]?.index ?? 0;
  }

  get newest(): number {
    const list = this.events.value;
    return list[list.length - 1]?.index ?? 0;
  }

  /** Loads the newest page (once), then everything after it. */
  start(lastIndex: number): Promise<void> {
    if (!this.started) {
      this.started = this.loadNewest(lastIndex).catch((error: unknown) => {
        this.error.value = error;
        this.started = null;
      });
    }
    return this.started;
  }

  private async loadNewest(lastIndex: number): Promise<void> {
    let after = Math.max(0, lastIndex - HISTORY_PAGE);
    let page = await this.fetchPage(this.chatId, after, HISTORY_PAGE);
    this.merge(page.events);
    // Whatever came after the chat's newest index as we knew it.
    while (page.events.length >= HISTORY_PAGE) {
      after = page.next_after;
      page = await this.fetchPage(this.chatId, after, HISTORY_PAGE);
      this.merge(page.events);
    }
    this.hasOlder.value = this.oldest > 1;
    this.loaded.value = true;
  }

  /**
   * The page before the oldest loaded event. Indices are dense per chat (1, 2, 3 ...), so the
   * page before index i is `after = i - 1 - n`: one range of the primary key however long the
   * chat. Indices this reader may not see (time away from the chat) come back as fewer events,
   * or none: then it reads further back.
   */
  async loadOlder(): Promise<number> {
    if (this.loadingOlder.value || !this.hasOlder.value) return 0;
    this.loadingOlder.value = true;
    try {
      let before = this.oldest || 1;
      for (let tries = 0; tries < 20 && before > 1; tries++) {
        const after = Math.max(0, before - 1 - HISTORY_PAGE);
        const page = await this.fetchPage(this.chatId, after, before - 1 - after);
        const older = page.events.filter((event) => event.index < before);
        if (after === 0) this.hasOlder.value = false;
        if (older.length) {
          this.merge(older);
          return older.length;
        }
        before = after + 1;
      }
      this.hasOlder.value = false;
      return 0;
    } finally {
      this.loadingOlder.value = false;
    }
  }

  /**
   * A page's events, in whatever order; already known indices are kept as they are. A page
   * read before an edit or a deletion may land after that event came live: every edit and
   * deletion known here is applied to its message again, in index order, so a message is never
   * shown older than the newest change known for it (whichever arrived first).
   */
  merge(events: ChatEvent[]): void {
    const fresh = events.filter((event) => !this.byIndex.has(event.index));
    if (!fresh.length) return;
    for (const event of fresh) this.byIndex.set(event.index, event);
    const freshIndices = new Set(fresh.map((event) => event.index));
    const changes = [...this.byIndex.values()]
      .filter((event) => CHANGES.has(event.type) && event.target_index != null)
      .filter((event) => freshIndices.has(event.index) || freshIndices.has(event.target_index ?? 0))
      .sort((a, b) => a.index - b.index);
    const touched = new Set(freshIndices);
    for (const change of changes) {
      const target = this.byIndex.get(change.target_index ?? 0);
      const changed = target ? changedBy(target, change) : null;
      if (target && changed) {
        this.byIndex.set(target.index, changed);
        touched.add(target.index);
      }
    }
    // My changes waiting in the outbox stay shown over what the server said so far.
    for (const [index, local] of this.localChanges) {
      const target = this.byIndex.get(index);
      if (!target || !touched.has(index)) continue;
      local.original = target;
      local.shown = changedLocally(target, local.change, local.at);
      this.byIndex.set(index, local.shown);
    }
    this.events.value = [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** My profile in the chat: tells which reactions are mine when a reaction event arrives. */
  me: string | null = null;

  /** A live reaction or reply changes its message's counts (pages bring them as they are). */
  private conversation(event: ChatEvent): void {
    const target = event.target_index != null ? this.byIndex.get(event.target_index) : undefined;
    if (!target || target.type !== 'message') return;
    if (event.type === 'reaction_added' || event.type === 'reaction_removed') {
      const before = new Map((target.reactions ?? []).map((r) => [r.emoji, r.mine]));
      const reactions = (event.reactions ?? []).map((r) => ({
        ...r,
        mine: r.emoji === event.body && event.profile_id === this.me ? event.type === 'reaction_added' : (before.get(r.emoji) ?? false),
      }));
      this.replace(target, { ...target, reactions });
    } else if (event.type === 'message') {
      this.replace(target, { ...target, reply_count: (target.reply_count ?? 0) + 1, last_reply_at: event.created_at });
    }
  }

  /** A live event: new ones are added; edits and deletions change their loaded message. */
  apply(event: ChatEvent, live: boolean): void {
    if (this.byIndex.has(event.index)) return;
    if (live && event.index > this.newest) this.conversation(event);
    const target = event.target_index != null ? this.byIndex.get(event.target_index) : undefined;
    if (live && target && event.index > this.newest && CHANGES.has(event.type)) {
      const changed = changedBy(target, event) ?? target;
      this.byIndex.set(target.index, changed);
      this.byIndex.set(event.index, event);
      const list = this.events.value;
      const at = list.indexOf(target);
      const next = [...list];
      if (at >= 0) next[at] = changed;
      next.push(event);
      this.events.value = next;
      return;
    }
    if (event.index > this.newest) {
      this.byIndex.set(event.index, event);
      this.events.value = [...this.events.value, event];
    } else {
      this.merge([event]);
    }
  }

  find(index: number): ChatEvent | undefined {
    return this.byIndex.get(index);
  }

  /** Shows an edit or a deletion of mine at once, while it waits to be sent (also before its message is loaded). */
  changeLocally(index: number, change: LocalChange, at = new Date().toISOString()): void {
    const target = this.byIndex.get(index);
    const original = this.localChanges.get(index)?.original ?? target;
    const shown = target ? changedLocally(target, change, at) : undefined;
    this.localChanges.set(index, { change, at, original, shown });
    this.waiting.value = new Set(this.localChanges.keys());
    if (target && shown) this.replace(target, shown);
  }

  /** The change was sent (`taken`), or refused for good: then the message shows as the server had it. */
  settleLocally(index: number, taken: boolean): void {
    const local = this.localChanges.get(index);
    if (!local) return;
    this.localChanges.delete(index);
    this.waiting.value = new Set(this.localChanges.keys());
    // Put back only what this change showed (a later event, such as the owner's deletion, stays).
    const shown = this.byIndex.get(index);
    if (!taken && shown && shown === local.shown && local.original) this.replace(shown, local.original);
  }

  /** A message's reactions as the server answered my own change. */
  setReactions(index: number, reactions: ChatEvent['reactions']): void {
    const target = this.byIndex.get(index);
    if (target) this.replace(target, { ...target, reactions });
  }

  private replace(old: ChatEvent, next: ChatEvent): void {
    this.byIndex.set(next.index, next);
    this.events.value = this.events.value.map((event) => (event === old ? next : event));
  }

  /** Adds a message to send; `send` posts it. */
  queue(body: string, file: File | null, replyTo: number | null): PendingMessage {
    const message: PendingMessage = {
      key: newIdempotencyKey(),
      body,
      file,
      preview: file && file.type.startsWith('image/') && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null,
      replyTo,
      status: 'sending',
      progress: 0,
      fileId: null,
    };
    this.pending.value = [...this.pending.value, message];
    return message;
  }

  /** A message kept in the outbox from before a reload (text only), shown as being sent. */
  restorePending(key: string, message: { body: string; replyTo: number | null }): void {
    if (this.pending.value.some((item) => item.key === key)) return;
    this.pending.value = [...this.pending.value, { key, body: message.body, file: null, preview: null, replyTo: message.replyTo, status: 'sending', progress: 0, fileId: null }];
  }

  updatePending(key: string, change: Partial<PendingMessage>): PendingMessage | null {
    let found: PendingMessage | null = null;
    this.pending.value = this.pending.value.map((message) => {
      if (message.key !== key) return message;
      found = { ...message, ...change };
      return found;
    });
    return found;
  }

  removePending(key: string): void {
    const gone = this.pending.value.find((message) => message.key === key);
    if (gone?.preview) URL.revokeObjectURL(gone.preview);
    this.pending.value = this.pending.value.filter((message) => message.key !== key);
  }
}

