import type { AppRoute } from '../../app/route';

/** Paths of the share screens (full /app/... paths; functions for those with ids). */
export const paths = {} as const;

/** Routes of the share screens: `{ path, component: lazy(() => import('./XScreen')), access }`. */
export const routes: AppRoute[] = [];
