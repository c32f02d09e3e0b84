/** Relations between profiles: follow, requests, hide, block. Owner: the people helper. */
import { api, type Relation, type RelationStatus } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

const base = (me: string): string => `/v1/profiles/${encodeURIComponent(me)}`;

/** Whom `me` follows / hides / blocks (all when `status` is left out). */
export function relationsQuery(me: string, status?: Exclude<RelationStatus, 'follow_requested'>): Query<Relation[]> {
  return query(`people:${me}:relations:${status ?? 'all'}`, () => allPages<Relation>(`${base(me)}/relations`, { status }));
}

/** Who follows `me`, or asks to (`follow_requested`). */
export function followersQuery(me: string, status: 'follow' | 'follow_requested' = 'follow'): Query<Relation[]> {
  return query(`people:${me}:followers:${status}`, () => allPages<Relation>(`${base(me)}/followers`, { status }));
}

/** Follows (a private profile gives `follow_requested`), hides or blocks. 403 `blocked` when they blocked me. */
export async function setRelation(me: string, target: string, status: 'follow' | 'hide' | 'block'): Promise<Relation> {
  const relation = await api.put<Relation>(`${base(me)}/relations/${encodeURIComponent(target)}`, { status });
  invalidate(`people:${me}:`);
  return relation;
}

export async function removeRelation(me: string, target: string): Promise<void> {
  await api.delete(`${base(me)}/relations/${encodeURIComponent(target)}`);
  invalidate(`people:${me}:`);
}

export async function answerFollowRequest(me: string, requester: string, accept: boolean): Promise<void> {
  await api.post(`${base(me)}/followers/${encodeURIComponent(requester)}/${accept ? 'accept' : 'reject'}`);
  invalidate(`people:${me}:`);
}
