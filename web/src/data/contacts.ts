/** Contacts (paper cards kept by one of my profiles). Owner: the contacts helper. */
import { api, type Contact, type ContactInput } from '../api';
import { allPages } from './pages';
import { query, type Query } from './query';

const base = (profileId: string): string => `/v1/profiles/${encodeURIComponent(profileId)}/contacts`;

export function contactsQuery(profileId: string): Query<Contact[]> {
  return query(`contacts:${profileId}:list`, () => allPages<Contact>(base(profileId), {}, 100));
}

export function contactQuery(profileId: string, id: string): Query<Contact> {
  return query(`contacts:${profileId}:one:${id}`, () => api.get<Contact>(`${base(profileId)}/${encodeURIComponent(id)}`));
}

export async function createContact(profileId: string, input: ContactInput & { name: string }): Promise<Contact> {
  const contact = await api.post<Contact>(base(profileId), input, { idempotencyKey: true });
  contactsQuery(profileId).update((list) => [...list, contact]);
  return contact;
}

export async function updateContact(profileId: string, id: string, changes: ContactInput, version?: number): Promise<Contact> {
  const contact = await api.patch<Contact>(`${base(profileId)}/${encodeURIComponent(id)}`, changes, version === undefined ? {} : { ifMatch: version });
  contactsQuery(profileId).update((list) => list.map((item) => (item.id === id ? contact : item)));
  contactQuery(profileId, id).set(contact);
  return contact;
}

export async function deleteContact(profileId: string, id: string, version?: number): Promise<void> {
  await api.delete(`${base(profileId)}/${encodeURIComponent(id)}`, version === undefined ? {} : { ifMatch: version });
  contactsQuery(profileId).update((list) => list.filter((item) => item.id !== id));
}

export function contactVcard(profileId: string, id: string): Promise<Blob> {
  return api.request<Blob>(`${base(profileId)}/${encodeURIComponent(id)}/vcard`, { as: 'blob' });
}
