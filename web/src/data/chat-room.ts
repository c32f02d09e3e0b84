/**
 * One chat's messages on this device: the events loaded so far, in `index` order, merged by
 * index (a page and a live event never show one message twice), read backwards page by page;
 * and the messages being sent. Pure state over an injected fetcher (unit-tested).
 */
import { signal, type Signal } from '@preact/signals';
import { newIdempotencyKey } from '../api/client';
import type { ChatEvent, EventsPage } from '../api/types';

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

/**
 * A message after an edit or a deletion event, or null when the event changes nothing (not a
 * message, already deleted, or the copy held already shows this edit or a later one).
 */
export function changedBy(target: ChatEvent, change: ChatEvent): ChatEvent | null {
  if (target.type !== 'message' || target.deleted_at) return null;
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
  private readonly byIndex = new Map<number, ChatEvent>();
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
      .filter((event) => (event.type === 'message_edited' || event.type === 'message_deleted') && event.target_index != null)
      .filter((event) => freshIndices.has(event.index) || freshIndices.has(event.target_index ?? 0))
      .sort((a, b) => a.index - b.index);
    for (const change of changes) {
      const target = this.byIndex.get(change.target_index ?? 0);
      const changed = target ? changedBy(target, change) : null;
      if (target && changed) this.byIndex.set(target.index, changed);
    }
    this.events.value = [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** A live event: new ones are added; edits and deletions change their loaded message. */
  apply(event: ChatEvent, live: boolean): void {
    if (this.byIndex.has(event.index)) return;
    const target = event.target_index != null ? this.byIndex.get(event.target_index) : undefined;
    if (live && target && event.index > this.newest && (event.type === 'message_edited' || event.type === 'message_deleted')) {
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

