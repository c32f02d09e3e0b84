import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/chats',
  create: '/app/chats/new',
  /** "Send to chat": the share target's screen (what another app shared). */
  share: '/app/chats/share',
  /** A new chat with one person (`?with=<profile id>`): other areas link here to "message" someone. */
  with: (profileId: string): string => `/app/chats/new?with=${encodeURIComponent(profileId)}`,
  room: (id: string): string => `/app/chats/${encodeURIComponent(id)}`,
  info: (id: string): string => `/app/chats/${encodeURIComponent(id)}/info`,
  /** Message requests: chats from people I do not follow, until I answer them. */
  requests: '/app/chats/requests',
  request: (id: string): string => `/app/chats/requests/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./ChatsScreen')), access: 'signed_in' },
  { path: paths.create, component: lazy(() => import('./NewChat')), access: 'signed_in' },
  { path: paths.share, component: lazy(() => import('./ShareToChat')), access: 'signed_in' },
  { path: paths.requests, component: lazy(() => import('./Requests')), access: 'signed_in' },
  { path: '/app/chats/requests/:id', component: lazy(() => import('./RequestScreen')), access: 'signed_in' },
  { path: '/app/chats/:id/info', component: lazy(() => import('./ChatInfo')), access: 'signed_in' },
  { path: '/app/chats/:id', component: lazy(() => import('./ChatRoom')), access: 'signed_in' },
];
