import type { AppRoute } from '../../app/route';

/** Paths of the people screens (full /app/... paths; functions for those with ids). */
export const paths = {} as const;

/** Routes of the people screens: `{ path, component: lazy(() => import('./XScreen')), access }`. */
export const routes: AppRoute[] = [];
