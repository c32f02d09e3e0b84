import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

/** Paths of the paper-card screens. */
export const paths = {
  create: '/app/scans/new',
  scan: (id: string): string => `/app/scans/${encodeURIComponent(id)}`,
} as const;

export const routes: AppRoute[] = [
  { path: paths.create, component: lazy(() => import('./NewScan')), access: 'signed_in' },
  { path: '/app/scans/:id', component: lazy(() => import('./ScanScreen')), access: 'signed_in' },
];
