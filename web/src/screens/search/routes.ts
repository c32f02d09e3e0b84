import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

/** The search screen (from the search button in the top bar of every tab); `?q=` keeps the query for the back button. */
export const paths = {
  home: '/app/search',
  query: (q: string): string => (q ? `/app/search?q=${encodeURIComponent(q)}` : '/app/search'),
} as const;

export const routes: AppRoute[] = [{ path: paths.home, component: lazy(() => import('./SearchScreen')), access: 'signed_in' }];
