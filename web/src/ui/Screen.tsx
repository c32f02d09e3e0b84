import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { goBack } from '../app/nav';
import { chatsQuery, setAppBadge, unreadTotal } from '../data/chat';
import { useQuery } from '../data/query';
import { t } from '../i18n';
import { BackIcon, ChatIcon, ContactsIcon, MeIcon, SearchIcon, WalletIcon } from './icons';

type ScreenProps = {
  /** The page title: the top bar's heading and the document title. */
  title: string;
  /** Shows a back button; the value is where it goes when there is no in-app history. */
  back?: string;
  /** Buttons at the right of the top bar. */
  actions?: ComponentChildren;
  /** Shows the bottom tab bar (the four main sections) and the search button in the top bar. */
  tabs?: boolean;
  /** Hides the top bar's title visually (landing pages with their own hero heading). */
  bare?: boolean;
  children: ComponentChildren;
};

/** One screen of the app: top bar, scrolling content (<main>), optional bottom tab bar. */
export function Screen({ title, back, actions, tabs = false, bare = false, children }: ScreenProps): JSX.Element {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · B.Ca`;
  }, [title]);
  useEffect(() => {
    // When the previous screen took the focus away with it (a navigation), a screen reader and
    // the keyboard start again at this screen's heading, not at the top of the document.
    const timer = setTimeout(() => {
      const active = document.activeElement;
      if (!active || active === document.body) heading.current?.focus({ preventScroll: true });
    }, 0);
    return () => clearTimeout(timer);
  }, []);
  return (
    <div class={tabs ? 'screen screen-tabs' : 'screen'}>
      {bare ? null : (
        <header class="topbar">
          {back ? (
            <button type="button" class="icon-btn topbar-back" aria-label={t('common.back')} onClick={() => goBack(back)}>
              <BackIcon />
            </button>
          ) : <span class="topbar-spacer" />}
          <h1 class="topbar-title" ref={heading} tabIndex={-1}>{title}</h1>
          <div class="topbar-actions">
            {tabs ? <a class="icon-btn" href="/app/search" aria-label={t('search.open')} title={t('search.open')}><SearchIcon /></a> : null}
            {actions}
          </div>
        </header>
      )}
      <main class="content" id="main">
        {bare ? <h1 class="visually-hidden">{title}</h1> : null}
        {children}
      </main>
      {tabs ? <TabBar /> : null}
    </div>
  );
}

const TABS = [
  { href: '/app/wallet', key: 'tabs.wallet', Icon: WalletIcon },
  { href: '/app/chats', key: 'tabs.chats', Icon: ChatIcon },
  { href: '/app/contacts', key: 'tabs.contacts', Icon: ContactsIcon },
  { href: '/app/me', key: 'tabs.me', Icon: MeIcon },
] as const;

/** The bottom tab bar; a tab is current for its path and everything below it. */
export function TabBar({ badges = {} }: { badges?: Partial<Record<'chats' | 'wallet', number>> }): JSX.Element {
  const { path } = useLocation();
  // Unread messages on the Chats tab, kept current by live events (data/chat keeps the list live).
  const chats = useQuery(chatsQuery());
  const unread = badges.chats ?? unreadTotal(chats.data.value);
  const known = chats.data.value !== undefined;
  useEffect(() => {
    if (known) setAppBadge(unread);
  }, [unread, known]);
  return (
    <nav class="tabbar" aria-label={t('tabs.label')}>
      {TABS.map(({ href, key, Icon }) => {
        const current = path === href || path.startsWith(`${href}/`);
        const badge = key === 'tabs.chats' ? unread : key === 'tabs.wallet' ? badges.wallet : undefined;
        return (
          <a key={href} href={href} class="tab" aria-current={current ? 'page' : undefined}>
            <Icon />
            <span class="tab-label">{t(key)}</span>
            {badge ? (
              <span class="tab-badge">
                <span aria-hidden="true">{badge > 99 ? '99+' : badge}</span>
                <span class="visually-hidden">{t('tabs.unread', { count: badge })}</span>
              </span>
            ) : null}
          </a>
        );
      })}
    </nav>
  );
}
