import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';
import type { ListKind } from '../../data/people';

/** Paths of the people screens (reached from Contacts and Me; not a tab). */
export const paths = {
  home: '/app/people',
  list: (kind: ListKind): string => `/app/people/list/${kind}`,
  person: (id: string): string => `/app/people/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./PeopleScreen')), access: 'signed_in' },
  { path: '/app/people/list/:kind', component: lazy(() => import('./PeopleList')), access: 'signed_in' },
  { path: '/app/people/:id', component: lazy(() => import('./PersonScreen')), access: 'signed_in' },
];
