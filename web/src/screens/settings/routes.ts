import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

/** Paths of the settings screens (full /app/... paths); their entries are on the Me tab. */
export const paths = {
  account: '/app/settings/account',
  devices: '/app/settings/devices',
  appPasswords: '/app/settings/app-passwords',
  guide: '/app/settings/app-passwords/guide',
  language: '/app/settings/language',
  notifications: '/app/settings/notifications',
  about: '/app/settings/about',
  exportData: '/app/settings/export',
  deleteAccount: '/app/settings/delete-account',
} as const;

/** Routes of the settings screens. */
export const routes: AppRoute[] = [
  { path: paths.account, component: lazy(() => import('./AccountScreen')), access: 'signed_in' },
  { path: paths.devices, component: lazy(() => import('./DevicesScreen')), access: 'signed_in' },
  { path: paths.appPasswords, component: lazy(() => import('./AppPasswordsScreen')), access: 'signed_in' },
  { path: paths.guide, component: lazy(() => import('./GuideScreen')), access: 'signed_in' },
  { path: paths.language, component: lazy(() => import('./LanguageScreen')), access: 'any' },
  { path: paths.notifications, component: lazy(() => import('./NotificationsScreen')), access: 'signed_in' },
  { path: paths.about, component: lazy(() => import('./AboutScreen')), access: 'any' },
  { path: paths.exportData, component: lazy(() => import('./ExportScreen')), access: 'signed_in' },
  { path: paths.deleteAccount, component: lazy(() => import('./DeleteAccountScreen')), access: 'signed_in' },
];
