import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/contacts',
  create: '/app/contacts/new',
  contact: (id: string): string => `/app/contacts/${encodeURIComponent(id)}`,
  edit: (id: string): string => `/app/contacts/${encodeURIComponent(id)}/edit`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./ContactsScreen')), access: 'signed_in' },
  { path: paths.create, component: lazy(() => import('./ContactEdit')), access: 'signed_in' },
  { path: '/app/contacts/:id', component: lazy(() => import('./ContactScreen')), access: 'signed_in' },
  { path: '/app/contacts/:id/edit', component: lazy(() => import('./ContactEdit')), access: 'signed_in' },
];
