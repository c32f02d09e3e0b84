import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

/** Paths of the cards screens (full /app/... paths; functions for those with ids). */
export const paths = {
  home: '/app/cards',
  newCard: '/app/cards/new',
  edit: (id: string): string => `/app/cards/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./CardsScreen')), access: 'signed_in' },
  { path: paths.newCard, component: lazy(() => import('./CardEdit')), access: 'signed_in' },
  { path: '/app/cards/:id', component: lazy(() => import('./CardEdit')), access: 'signed_in' },
];
