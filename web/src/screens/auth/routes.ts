import { lazy } from 'preact-iso';
import type { AppRoute } from '../../app/route';

export const paths = {
  welcome: '/app/welcome',
  signIn: '/app/signin',
  signUp: '/app/signup',
  checkMail: '/app/check-mail',
  forgot: '/app/forgot-password',
  /** In-app targets of the mailed links (`?token=`); the server's pages lead here too. */
  verify: '/app/verify-email',
  reset: '/app/reset-password',
} as const;

export const routes: AppRoute[] = [
  { path: paths.welcome, component: lazy(() => import('./Landing')), access: 'guest' },
  { path: paths.signIn, component: lazy(() => import('./SignIn')), access: 'guest' },
  { path: paths.signUp, component: lazy(() => import('./SignUp')), access: 'guest' },
  { path: paths.checkMail, component: lazy(() => import('./CheckMail')), access: 'guest' },
  { path: paths.forgot, component: lazy(() => import('./ForgotPassword')), access: 'guest' },
  { path: paths.verify, component: lazy(() => import('./VerifyEmail')), access: 'any' },
  { path: paths.reset, component: lazy(() => import('./ResetPassword')), access: 'any' },
];
