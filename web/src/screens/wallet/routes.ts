import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/wallet',
  scan: '/app/wallet/scan',
  card: (id: string): string => `/app/wallet/card/${encodeURIComponent(id)}`,
  add: (token: string): string => `/app/wallet/add/${encodeURIComponent(token)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./WalletScreen')), access: 'signed_in' },
  { path: paths.scan, component: lazy(() => import('./ScanScreen')), access: 'signed_in' },
  { path: '/app/wallet/card/:id', component: lazy(() => import('./HeldCardScreen')), access: 'signed_in' },
  { path: '/app/wallet/add/:token', component: lazy(() => import('./AddScreen')), access: 'signed_in' },
  // A share link's path under the app (`/app/c/{token}`, as the card page's "open in the app" link).
  { path: '/app/c/:token', component: lazy(() => import('./AddScreen')), access: 'signed_in' },
];
