/**
 * My profiles (personas) and the active one. Every screen that acts "as me" acts as
 * `activeProfile.value`; switching it is one call and persists per user on this device.
 */
import { computed, effect, signal, untracked } from '@preact/signals';
import { api, type Profile, type ProfileInput } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';
import { currentUser, onSignOut } from './session';
import { localMyProfiles } from './localdb/reads';
import { synced } from './sync';
import { versionedEdits, type Conflict } from './versioned';

const ACTIVE_KEY = 'bca.active_profile.';

/** Edits of my profiles (`versioned.ts`: the outbox offline, a conflict with both versions on 412). */
const edits = versionedEdits<Profile, ProfileInput>({
  kind: 'profile-edit',
  url: (id) => `/v1/profiles/${encodeURIComponent(id)}`,
  shown: (id) => myProfilesQuery().data.peek()?.find((item) => item.id === id),
  put: replaceInList,
  refused: () => invalidate('profiles:'),
});

export type ProfileConflict = Conflict<Profile, ProfileInput>;
/** Conflicts by profile id (an edit answered 412). */
export const profileConflicts = edits.conflicts;
export const resolveProfileConflict = edits.resolve;

/** My profiles, in the API's order (the first is the one signup made). */
export function myProfilesQuery(): Query<Profile[]> {
  return query('profiles:mine', () => edits.reading(synced(localMyProfiles, () => allPages<Profile>('/v1/profiles'))));
}

/** A profile by id (mine or someone else's that I may see). */
export function profileQuery(id: string): Query<Profile> {
  return query(`profiles:one:${id}`, () => api.get<Profile>(`/v1/profiles/${encodeURIComponent(id)}`));
}

const chosenId = signal<string | null>(null);

effect(() => {
  const user = currentUser.value;
  chosenId.value = user ? readChosen(user.id) : null;
});

onSignOut(() => {
  chosenId.value = null;
});

// Every signed-in screen acts as the active profile: load my profiles as soon as someone is
// signed in (not only when the Me tab is opened), so `activeProfile` resolves everywhere.
effect(() => {
  if (currentUser.value) untracked(() => void myProfilesQuery().load());
});

function readChosen(userId: string): string | null {
  try {
    return localStorage.getItem(ACTIVE_KEY + userId);
  } catch {
    return null;
  }
}

/** The active profile: the chosen one when it still exists, else my first. Null while loading. */
export const activeProfile = computed<Profile | null>(() => {
  if (!currentUser.value) return null;
  const list = myProfilesQuery().data.value;
  if (!list || list.length === 0) return null;
  return list.find((profile) => profile.id === chosenId.value) ?? list[0] ?? null;
});

/** Its id, for data modules that key on it. */
export const activeProfileId = computed(() => activeProfile.value?.id ?? null);

/** Makes `id` the active profile everywhere, remembered on this device. */
export function switchProfile(id: string): void {
  chosenId.value = id;
  const user = currentUser.value;
  if (!user) return;
  try {
    localStorage.setItem(ACTIVE_KEY + user.id, id);
  } catch {
    /* storage refused */
  }
}

function replaceInList(profile: Profile): void {
  myProfilesQuery().update((list) => list.map((item) => (item.id === profile.id ? profile : item)));
  const one = query<Profile>(`profiles:one:${profile.id}`, () => Promise.resolve(profile));
  one.set(profile);
}

/** Creates a profile (409 `limit_reached` over 20). */
export async function createProfile(input: ProfileInput & { name: string }): Promise<Profile> {
  const profile = await api.post<Profile>('/v1/profiles', input, { idempotencyKey: true });
  myProfilesQuery().update((list) => [...list, profile]);
  return profile;
}

/** Saves changes made on `version` (the one shown); a 412 is thrown after it became a conflict. */
export function updateProfile(id: string, changes: ProfileInput, version: number): Promise<Profile> {
  return edits.update(id, '', changes, version);
}

/** Deletes a profile (its cards, relations and subscriptions go with it). */
export async function deleteProfile(id: string, version?: number): Promise<void> {
  await api.delete(`/v1/profiles/${encodeURIComponent(id)}`, version === undefined ? {} : { ifMatch: version });
  myProfilesQuery().update((list) => list.filter((item) => item.id !== id));
}

/** Replaces the profile's image (413 `too_large`, 415, 422 for an undecodable image). */
export async function uploadProfileImage(id: string, file: Blob, onProgress?: (fraction: number) => void): Promise<Profile> {
  const profile = await api.upload<Profile>(`/v1/profiles/${encodeURIComponent(id)}/image`, file, { method: 'PUT', onProgress });
  replaceInList(profile);
  return profile;
}

/** Profiles I may see by name or team (≥ 2 characters). */
export function searchProfiles(q: string): Promise<Profile[]> {
  return api.get<{ items: Profile[] }>('/v1/profiles/search', { q }).then((page) => page.items);
}
