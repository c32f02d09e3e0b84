import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/chats',
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./ChatsScreen')), access: 'signed_in' },
];
