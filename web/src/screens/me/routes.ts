import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/me',
  newProfile: '/app/me/profiles/new',
  editProfile: (id: string): string => `/app/me/profiles/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./MeScreen')), access: 'signed_in' },
  { path: paths.newProfile, component: lazy(() => import('./ProfileEdit')), access: 'signed_in' },
  { path: '/app/me/profiles/:id', component: lazy(() => import('./ProfileEdit')), access: 'signed_in' },
];
