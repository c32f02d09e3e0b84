/** The shape of a route. Each screen area declares its routes in src/screens/<area>/routes.ts. */
import type { AnyComponent } from 'preact';

export const BASE = '/app';

/**
 * `signed_in`: only with a session (others go to the landing); `guest`: only without one
 * (signed-in people go to the wallet); `any`: both.
 */
export type Access = 'signed_in' | 'guest' | 'any';

export interface AppRoute {
  /** Full path under /app, with preact-iso params: `/app/cards/:id`. */
  path: string;
  /** Screens read params with useRoute().params. Lazy: `lazy(() => import('./CardScreen'))` so each screen is its own chunk. */
  component: AnyComponent;
  access: Access;
}
