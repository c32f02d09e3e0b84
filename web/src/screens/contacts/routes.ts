import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/contacts',
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./ContactsScreen')), access: 'signed_in' },
];
