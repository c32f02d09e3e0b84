/**
 * Contacts (paper cards kept by one of my profiles). Owner: the contacts helper.
 * The list is every page of the profile's contacts (the screens sort it with the locale's
 * collation); search asks the server (`?q=`, a substring of name, organisation, title, note,
 * emails and phones). Edits are versioned (`versioned.ts`): a conflict shows on the contact's
 * screen with both versions (`contactConflicts`).
 */
import { api, type Contact, type ContactInput, type ContactValue, type ScanFields } from '../api';
import { allPages } from './pages';
import { forget, invalidate, query, type Query } from './query';
import { localContact, localContacts } from './localdb/reads';
import { synced } from './sync';
import { versionedEdits, type Conflict } from './versioned';

const base = (profileId: string): string => `/v1/profiles/${encodeURIComponent(profileId)}/contacts`;

/** Edits of contacts; the scope of each is the profile that keeps it. */
const edits = versionedEdits<Contact, ContactInput>({
  kind: 'contact-edit',
  url: (id, profileId) => one(profileId, id),
  shown: (id, profileId) => contactQuery(profileId, id).data.peek(),
  put: (contact, profileId) => replaced(profileId, contact),
  refused: (profileId) => invalidate(`contacts:${profileId}:`),
});

export type ContactConflict = Conflict<Contact, ContactInput>;
/** Conflicts by contact id (an edit answered 412). */
export const contactConflicts = edits.conflicts;
export const resolveContactConflict = edits.resolve;

export function contactsQuery(profileId: string): Query<Contact[]> {
  return query(`contacts:${profileId}:list`, () => edits.reading(synced(() => localContacts(profileId), () => allPages<Contact>(base(profileId), {}, 100))));
}

/** Contacts matching `q` (the server's search; the first 1,000). */
export function contactSearchQuery(profileId: string, q: string): Query<Contact[]> {
  return query(`contacts:${profileId}:search:${q}`, () => allPages<Contact>(base(profileId), { q }, 5));
}

export function contactQuery(profileId: string, id: string): Query<Contact> {
  return query(`contacts:${profileId}:one:${id}`, () => edits.reading(synced(() => localContact(profileId, id), () => api.get<Contact>(one(profileId, id)))));
}

const one = (profileId: string, id: string): string => `${base(profileId)}/${encodeURIComponent(id)}`;

function replaced(profileId: string, contact: Contact): void {
  contactsQuery(profileId).update((list) => [...list.filter((item) => item.id !== contact.id), contact]);
  contactQuery(profileId, contact.id).set(contact);
}

export async function createContact(profileId: string, input: ContactInput & { name: string }): Promise<Contact> {
  const contact = await api.post<Contact>(base(profileId), input, { idempotencyKey: true });
  replaced(profileId, contact);
  return contact;
}

/** Saves changes made on `version` (see `versioned.ts`: the outbox offline, a conflict on 412). */
export function updateContact(profileId: string, id: string, changes: ContactInput, version: number): Promise<Contact> {
  return edits.update(id, profileId, changes, version);
}

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
