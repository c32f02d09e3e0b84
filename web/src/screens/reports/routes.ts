import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  mine: '/app/settings/reports',
} as const;

/** My reports and their outcomes (the report sheet itself opens where the thing is shown). */
export const routes: AppRoute[] = [
  { path: paths.mine, component: lazy(() => import('./ReportsScreen')), access: 'signed_in' },
];
