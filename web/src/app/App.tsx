import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { exec } from 'preact-iso/router';
import { lastSynced, showOffline } from '../data/offline';
import { session } from '../data/session';
import { syncState } from '../data/sync';
import { formatDate, t } from '../i18n';
import { LinkButton, Screen, Toasts } from '../ui';
import { rememberReturnTo, visited } from './nav';
import { updateReady } from './sw';
import type { AppRoute } from './route';
import { HOME_SIGNED_IN, HOME_SIGNED_OUT, ROUTES } from './routes';

function routeOf(path: string): AppRoute | undefined {
  return ROUTES.find((route) => exec(path, route.path) !== undefined);
}

/** Sends people to where they may be: signed-out away from signed-in pages and back. */
function Guard(): null {
  const { path, route } = useLocation();
  const status = session.value.status;
  useEffect(() => {
    if (status === 'starting') return;
    const target = routeOf(path);
    if (path === '/app' || path === '/app/' || path === '/app/index.html') {
      route(status === 'signed_in' ? HOME_SIGNED_IN : HOME_SIGNED_OUT, true);
    } else if (target?.access === 'signed_in' && status === 'signed_out') {
      // A page that needs a session (a link from a message, a shared card): back to it after sign-in.
      if (session.value.status === 'signed_out' && session.value.reason !== 'signed_out') rememberReturnTo(location.pathname + location.search);
      route(HOME_SIGNED_OUT, true);
    } else if (target?.access === 'guest' && status === 'signed_in') {
      route(HOME_SIGNED_IN, true);
    }
  }, [path, status]);
  return null;
}

function NotFound(): JSX.Element {
  return (
    <Screen title={t('notFound.title')}>
      <div class="empty">
        <p class="empty-body">{t('notFound.body')}</p>
        <LinkButton href="/app/">{t('notFound.home')}</LinkButton>
      </div>
    </Screen>
  );
}

function Blank(): JSX.Element {
  return <div class="boot" aria-busy="true" />;
}

export function App(): JSX.Element {
  const starting = session.value.status === 'starting';
  return (
    <LocationProvider scope="/app/">
      <Guard />
      {starting ? (
        <div class="boot" role="status">{t('common.loading')}</div>
      ) : (
        <ErrorBoundary>
          <Router onRouteChange={() => { visited.value += 1; }}>
            {[
              <Route key="root" path="/app/" component={Blank} />,
              ...ROUTES.map((route) => <Route key={route.path} path={route.path} component={route.component} />),
              <Route key="404" default component={NotFound} />,
            ]}
          </Router>
        </ErrorBoundary>
      )}
      {showOffline.value ? (
        <div class="offline-bar" role="status">
          {lastSynced.value ? t('offline.since', { time: formatDate(lastSynced.value, 'dateTime') }) : t('offline.never')}
        </div>
      ) : null}
      {updateReady.value || syncState.value === 'outdated' ? (
        <div class="update-bar" role="status">
          <span>{t('update.ready')}</span>
          <button type="button" class="btn btn-secondary" onClick={() => location.reload()}>{t('update.reload')}</button>
        </div>
      ) : null}
      <Toasts />
    </LocationProvider>
  );
}
