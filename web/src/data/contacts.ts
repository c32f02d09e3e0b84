/**
 * Contacts (paper cards kept by one of my profiles). Owner: the contacts helper.
 * The list is every page of the profile's contacts (the screens sort it with the locale's
 * collation); search asks the server (`?q=`, a substring of name, organisation, title, note,
 * emails and phones). Edits carry the version shown (`If-Match`): another device's change
 * answers 412 `precondition_failed` instead of being overwritten, and becomes a conflict the
 * contact's screen shows with both versions (`contactConflicts`). Made offline, an edit waits
 * in the outbox and is shown at once.
 */
import { signal } from '@preact/signals';
import { api, newIdempotencyKey, type Contact, type ContactInput, type ContactValue, type ScanFields } from '../api';
import { ApiError } from '../api/errors';
import { enqueue, mustQueue, registerSender } from './outbox';
import { allPages } from './pages';
import { forget, invalidate, query, type Query } from './query';
import { localContact, localContacts } from './localdb/reads';
import { synced } from './sync';

const base = (profileId: string): string => `/v1/profiles/${encodeURIComponent(profileId)}/contacts`;

export function contactsQuery(profileId: string): Query<Contact[]> {
  return query(`contacts:${profileId}:list`, () => synced(() => localContacts(profileId), () => allPages<Contact>(base(profileId), {}, 100)));
}

/** Contacts matching `q` (the server's search; the first 1,000). */
export function contactSearchQuery(profileId: string, q: string): Query<Contact[]> {
  return query(`contacts:${profileId}:search:${q}`, () => allPages<Contact>(base(profileId), { q }, 5));
}

export function contactQuery(profileId: string, id: string): Query<Contact> {
  return query(`contacts:${profileId}:one:${id}`, () => synced(() => localContact(profileId, id), () => api.get<Contact>(one(profileId, id))));
}

const one = (profileId: string, id: string): string => `${base(profileId)}/${encodeURIComponent(id)}`;

/** My edit and the version another device saved meanwhile, for the person to choose. */
export interface ContactConflict {
  profileId: string;
  mine: ContactInput;
  theirs: Contact;
}

/** Conflicts by contact id (an edit answered 412). */
export const contactConflicts = signal<ReadonlyMap<string, ContactConflict>>(new Map());

function setConflict(id: string, conflict: ContactConflict | null): void {
  const next = new Map(contactConflicts.peek());
  if (conflict) next.set(id, conflict);
  else next.delete(id);
  contactConflicts.value = next;
}

/** True when the contact already reads as `changes` (an earlier send of them, whose answer was lost). */
function holds(contact: Contact, changes: ContactInput): boolean {
  return Object.entries(changes).every(([field, value]) => JSON.stringify(contact[field as keyof Contact] ?? null) === JSON.stringify(value ?? null));
}

/** A 412: the server's version and mine become a conflict, unless the server holds mine already. */
async function conflicted(profileId: string, id: string, mine: ContactInput): Promise<Contact | null> {
  const theirs = await api.get<Contact>(one(profileId, id));
  replaced(profileId, theirs);
  if (holds(theirs, mine)) return theirs;
  setConflict(id, { profileId, mine, theirs });
  return null;
}

function replaced(profileId: string, contact: Contact): void {
  contactsQuery(profileId).update((list) => [...list.filter((item) => item.id !== contact.id), contact]);
  contactQuery(profileId, contact.id).set(contact);
}

export async function createContact(profileId: string, input: ContactInput & { name: string }): Promise<Contact> {
  const contact = await api.post<Contact>(base(profileId), input, { idempotencyKey: true });
  replaced(profileId, contact);
  return contact;
}

/**
 * Saves changes made on `version`. Offline (or behind other waiting writes) they wait in the
 * outbox and show at once. A 412 `precondition_failed` (another device changed it) is thrown
 * after it was recorded in `contactConflicts`.
 */
export async function updateContact(profileId: string, id: string, changes: ContactInput, version: number): Promise<Contact> {
  if (mustQueue()) {
    await enqueue({ kind: CONTACT_EDIT, target: id, body: { profile_id: profileId, changes, version }, key: newIdempotencyKey() });
    const shown = contactQuery(profileId, id).data.peek();
    const pending = { ...(shown ?? (await api.get<Contact>(one(profileId, id)))), ...changes };
    replaced(profileId, pending);
    return pending;
  }
  try {
    const contact = await api.patch<Contact>(one(profileId, id), changes, { ifMatch: version });
    replaced(profileId, contact);
    return contact;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'precondition_failed') await conflicted(profileId, id, changes);
    throw error;
  }
}

/** Ends a conflict: my edit saved over their version, or theirs kept. */
export async function resolveConflict(id: string, keep: 'mine' | 'theirs'): Promise<void> {
  const conflict = contactConflicts.peek().get(id);
  if (!conflict) return;
  if (keep === 'mine') await updateContact(conflict.profileId, id, conflict.mine, conflict.theirs.version);
  setConflict(id, null);
}

const CONTACT_EDIT = 'contact-edit';

registerSender(CONTACT_EDIT, {
  async send(item) {
    const { profile_id: profileId, changes, version } = item.body as { profile_id: string; changes: ContactInput; version: number };
    try {
      replaced(profileId, await api.patch<Contact>(one(profileId, item.target), changes, { ifMatch: version }));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'precondition_failed')) throw error;
      await conflicted(profileId, item.target, changes);
    }
  },
  onFailed(item) {
    // Refused for good (the contact was deleted, a field is invalid): show the server's state.
    invalidate(`contacts:${String(item.body.profile_id)}:`);
  },
});

export async function deleteContact(profileId: string, id: string, version?: number): Promise<void> {
  await api.delete(`${base(profileId)}/${encodeURIComponent(id)}`, version === undefined ? {} : { ifMatch: version });
  contactsQuery(profileId).update((list) => list.filter((item) => item.id !== id));
  forget(contactQuery(profileId, id).key);
}

/** One contact as a vCard 4.0 file. */
export function contactVcard(profileId: string, id: string): Promise<Blob> {
  return api.request<Blob>(`${base(profileId)}/${encodeURIComponent(id)}/vcard`, { as: 'blob' });
}

/** Every contact of the profile in one `.vcf` (vCards one after another, as RFC 6350 allows). */
export async function allContactsVcard(profileId: string, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const list = await allPages<Contact>(base(profileId), {}, 100);
  const texts = await mapLimited(list, 4, (contact) => api.request<string>(`${base(profileId)}/${encodeURIComponent(contact.id)}/vcard`, { as: 'text' }), onProgress);
  return new Blob(texts.map((text) => (text.endsWith('\n') ? text : `${text}\r\n`)), { type: 'text/vcard' });
}

/** `work` over `items` with at most `limit` at once, results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, onProgress?: (done: number, total: number) => void): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
      done++;
      onProgress?.(done, items.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

// --- the editable form of a contact (the contact editor and a scan's review share it) -----------

export interface ContactDraft {
  name: string;
  organization: string;
  title: string;
  phones: ContactValue[];
  emails: ContactValue[];
  urls: string[];
  address: string;
  note: string;
}

export const emptyDraft = (): ContactDraft => ({ name: '', organization: '', title: '', phones: [], emails: [], urls: [], address: '', note: '' });

export function draftFromContact(contact: Contact): ContactDraft {
  return {
    name: contact.name,
    organization: contact.organization ?? '',
    title: contact.title ?? '',
    phones: contact.phones.map((item) => ({ ...item })),
    emails: contact.emails.map((item) => ({ ...item })),
    urls: [...contact.urls],
    address: contact.address ?? '',
    note: contact.note ?? '',
  };
}

/** The proposal a scan read (empty where it read nothing). */
export function draftFromScan(fields: ScanFields | null): ContactDraft {
  if (!fields) return emptyDraft();
  return {
    name: fields.name?.value ?? '',
    organization: fields.organization?.value ?? '',
    title: fields.title?.value ?? '',
    phones: fields.phones.map((item) => ({ ...item.value })),
    emails: fields.emails.map((item) => ({ ...item.value })),
    urls: fields.urls.map((item) => item.value),
    address: fields.address?.value ?? '',
    note: '',
  };
}

const text = (value: string): string | null => value.trim() || null;

function values(list: readonly ContactValue[]): ContactValue[] {
  return list
    .map((item) => ({ ...item, value: item.value.trim() }))
    .filter((item) => item.value)
    .map((item) => (item.type ? { value: item.value, type: item.type } : { value: item.value }));
}

/** Every field of the draft as the API takes it: trimmed, empty texts null, empty entries dropped. */
export function draftToInput(draft: ContactDraft): ContactInput & { name: string } {
  return {
    name: draft.name.trim(),
    organization: text(draft.organization),
    title: text(draft.title),
    phones: values(draft.phones),
    emails: values(draft.emails),
    urls: draft.urls.map((url) => url.trim()).filter(Boolean),
    address: text(draft.address),
    note: text(draft.note),
  };
}
