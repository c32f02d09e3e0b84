/** Every route of the app, gathered from the areas (each area owns its routes.ts). */
import { routes as auth } from '../screens/auth/routes';
import { routes as cards } from '../screens/cards/routes';
import { routes as chats } from '../screens/chats/routes';
import { routes as contacts } from '../screens/contacts/routes';
import { routes as me } from '../screens/me/routes';
import { routes as people } from '../screens/people/routes';
import { routes as reports } from '../screens/reports/routes';
import { routes as scans } from '../screens/scans/routes';
import { routes as search } from '../screens/search/routes';
import { routes as settings } from '../screens/settings/routes';
import { routes as share } from '../screens/share/routes';
import { routes as wallet } from '../screens/wallet/routes';
import type { AppRoute } from './route';

export const ROUTES: AppRoute[] = [...auth, ...me, ...wallet, ...cards, ...share, ...contacts, ...scans, ...people, ...chats, ...settings, ...reports, ...search];

export const HOME_SIGNED_IN = '/app/wallet';
export const HOME_SIGNED_OUT = '/app/welcome';
