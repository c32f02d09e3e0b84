import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

/** Paths of the share screens (full /app/... paths; functions for those with ids). */
export const paths = {
  card: (id: string): string => `/app/share/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: '/app/share/:id', component: lazy(() => import('./ShareScreen')), access: 'signed_in' },
];
