import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  home: '/app/wallet',
} as const;

export const routes: AppRoute[] = [
  { path: paths.home, component: lazy(() => import('./WalletScreen')), access: 'signed_in' },
];
