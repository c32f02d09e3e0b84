/**
 * Relations between profiles, acting as one of mine (`me`): find people, follow (a private
 * profile gives a request its owner accepts or declines), hide, block. Owner: the people helper.
 *
 * A relation names only ids; the screens show each person through `personQuery(id)`. A profile
 * that blocked me, or that I blocked, is 404 to me: the names seen in this session are kept
 * (`knownName`), and the names of those I block are kept on this device (per user, removed on
 * unblock and at sign-out) so that the blocked list still says whom it holds after a reload.
 */
import { signal } from '@preact/signals';
import { api, type Card, type Profile, type ProfileSummary, type Relation, type RelationStatus } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';
import { currentUser, onSignOut } from './session';

const base = (me: string): string => `/v1/profiles/${encodeURIComponent(me)}`;

/** A profile as I may see it: whole, or the summary of a private one I do not follow. */
export type Person = Profile | ProfileSummary;

export function isSummary(person: Person): person is ProfileSummary {
  return !('version' in person);
}

const names = signal<ReadonlyMap<string, string>>(new Map());
const BLOCKED_KEY = 'bca.people.blocked.';
let storedFor: string | null = null;

onSignOut(() => {
  names.value = new Map();
  if (storedFor) {
    try {
      localStorage.removeItem(BLOCKED_KEY + storedFor);
    } catch {
      /* storage refused */
    }
  }
});

function blockedNames(): Record<string, string> {
  const user = currentUser.value;
  if (!user) return {};
  storedFor = user.id;
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(BLOCKED_KEY + user.id) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function keepBlockedName(id: string, name: string | undefined): void {
  const user = currentUser.value;
  if (!user) return;
  const others = Object.entries(blockedNames()).filter(([key]) => key !== id);
  const kept = Object.fromEntries(name === undefined ? others : [...others, [id, name]]);
  try {
    localStorage.setItem(BLOCKED_KEY + user.id, JSON.stringify(kept));
  } catch {
    /* storage refused: the name lasts as long as the tab */
  }
}

function remember(people: readonly Person[]): void {
  const next = new Map(names.value);
  for (const person of people) next.set(person.id, person.name);
  names.value = next;
}

/** The name last seen for a profile id in this session, if any. */
export function knownName(id: string): string | undefined {
  return names.value.get(id) ?? blockedNames()[id];
}

/** A profile by id (404 when it is gone or one of us blocked the other). */
export function personQuery(id: string): Query<Person> {
  return query(`people:profile:${id}`, async () => {
    const person = await api.get<Person>(`/v1/profiles/${encodeURIComponent(id)}`);
    remember([person]);
    return person;
  });
}

/** The cards of a profile that I may see. */
export function personCardsQuery(id: string): Query<Card[]> {
  return query(`people:cards:${id}`, () => allPages<Card>(`/v1/profiles/${encodeURIComponent(id)}/cards`));
}

/** Profiles I may see whose name (or, when I may read it, team) contains `q` (≥ 2 characters). */
export async function searchPeople(q: string, signal?: AbortSignal): Promise<Person[]> {
  const page = await api.get<{ items: Person[] }>('/v1/profiles/search', { q, limit: 50 }, { signal });
  remember(page.items);
  return page.items;
}

/** My relations to others as `me`: follows, requests I sent, hides and blocks. */
export function relationsQuery(me: string): Query<Relation[]> {
  return query(`people:${me}:relations`, () => allPages<Relation>(`${base(me)}/relations`));
}

/** Relations pointing at `me`: followers and requests to follow. */
export function followersQuery(me: string): Query<Relation[]> {
  return query(`people:${me}:followers`, () => allPages<Relation>(`${base(me)}/followers`));
}

/** My relation to `target` in `relations` (null: none). */
export function relationTo(relations: readonly Relation[] | undefined, target: string): RelationStatus | null {
  return relations?.find((relation) => relation.target_id === target)?.status ?? null;
}

/** Whether `target` follows me (or asks to), from `followers`. */
export function followerStatus(followers: readonly Relation[] | undefined, target: string): RelationStatus | null {
  return followers?.find((relation) => relation.profile_id === target)?.status ?? null;
}

export type ListKind = 'following' | 'requested' | 'followers' | 'requests' | 'hidden' | 'blocked';

/** The ids a list of people shows, newest first. */
export function idsOf(kind: ListKind, relations: readonly Relation[], followers: readonly Relation[]): string[] {
  const newest = (list: readonly Relation[]): Relation[] => [...list].sort((a, b) => b.created_at.localeCompare(a.created_at));
  switch (kind) {
    case 'following':
      return newest(relations.filter((r) => r.status === 'follow')).map((r) => r.target_id);
    case 'requested':
      return newest(relations.filter((r) => r.status === 'follow_requested')).map((r) => r.target_id);
    case 'hidden':
      return newest(relations.filter((r) => r.status === 'hide')).map((r) => r.target_id);
    case 'blocked':
      return newest(relations.filter((r) => r.status === 'block')).map((r) => r.target_id);
    case 'followers':
      return newest(followers.filter((r) => r.status === 'follow')).map((r) => r.profile_id);
    case 'requests':
      return newest(followers.filter((r) => r.status === 'follow_requested')).map((r) => r.profile_id);
  }
}

function changed(me: string, target: string): void {
  invalidate(`people:${me}:`);
  invalidate(`people:profile:${target}`);
  invalidate(`people:cards:${target}`);
}

/** Follows (a private profile gives `follow_requested`), hides or blocks. 403 `blocked` when they blocked me. */
export async function setRelation(me: string, target: string, status: 'follow' | 'hide' | 'block'): Promise<Relation> {
  const relation = await api.put<Relation>(`${base(me)}/relations/${encodeURIComponent(target)}`, { status });
  relationsQuery(me).update((list) => [...list.filter((item) => item.target_id !== target), relation]);
  if (status === 'block') {
    followersQuery(me).update((list) => list.filter((item) => item.profile_id !== target));
    const name = knownName(target);
    if (name !== undefined) keepBlockedName(target, name);
  }
  changed(me, target);
  return relation;
}

/** Unfollows, cancels a request, unhides or unblocks. */
export async function removeRelation(me: string, target: string): Promise<void> {
  await api.delete(`${base(me)}/relations/${encodeURIComponent(target)}`);
  if (relationTo(relationsQuery(me).data.value, target) === 'block') keepBlockedName(target, undefined);
  relationsQuery(me).update((list) => list.filter((item) => item.target_id !== target));
  changed(me, target);
}

/** Accepts or declines `requester`'s request to follow `me`. */
export async function answerFollowRequest(me: string, requester: string, accept: boolean): Promise<void> {
  await api.post(`${base(me)}/followers/${encodeURIComponent(requester)}/${accept ? 'accept' : 'reject'}`);
  followersQuery(me).update((list) =>
    accept
      ? list.map((item) => (item.profile_id === requester ? { ...item, status: 'follow' as const } : item))
      : list.filter((item) => item.profile_id !== requester),
  );
  changed(me, requester);
}
