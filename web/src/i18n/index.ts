/**
 * Korean and English. `t('area.key', {name})` gives the string in the current locale; keys are
 * typed (a missing or misspelt key is a type error). Strings live per area in messages/<area>.ts.
 */
import { computed, effect, signal } from '@preact/signals';
import auth from './messages/auth';
import cards from './messages/cards';
import chat from './messages/chat';
import common from './messages/common';
import contacts from './messages/contacts';
import me from './messages/me';
import people from './messages/people';
import scans from './messages/scans';
import settings from './messages/settings';
import share from './messages/share';
import reports from './messages/reports';
import search from './messages/search';
import wallet from './messages/wallet';

const areas = [common, auth, me, wallet, cards, share, contacts, scans, people, chat, settings, reports, search] as const;

type Union<T> = T extends { en: infer E } ? keyof E : never;
export type MessageKey = Union<(typeof areas)[number]>;
export type Locale = 'ko' | 'en';
export const LOCALES: readonly Locale[] = ['ko', 'en'];

const dictionaries: Record<Locale, Record<string, string>> = {
  en: Object.assign({}, ...areas.map((area) => area.en)) as Record<string, string>,
  ko: Object.assign({}, ...areas.map((area) => area.ko)) as Record<string, string>,
};

const LOCALE_KEY = 'bca.locale';

/** The browser's preference: Korean when any preferred language is Korean before English. */
export function detectLocale(languages: readonly string[] = typeof navigator !== 'undefined' ? navigator.languages : []): Locale {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('ko')) return 'ko';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function storedLocale(): Locale | null {
  try {
    const value = localStorage.getItem(LOCALE_KEY);
    return value === 'ko' || value === 'en' ? value : null;
  } catch {
    return null;
  }
}

export const locale = signal<Locale>(storedLocale() ?? detectLocale());

/** Switches the language and remembers it on this device. */
export function setLocale(next: Locale): void {
  locale.value = next;
  try {
    localStorage.setItem(LOCALE_KEY, next);
  } catch {
    /* storage refused */
  }
}

if (typeof document !== 'undefined') {
  effect(() => {
    document.documentElement.lang = locale.value;
  });
}

export type Params = Record<string, string | number>;

/** The string of `key` in the current locale, with `{name}` placeholders filled. */
export function t(key: MessageKey, params?: Params): string {
  const text = dictionaries[locale.value][key] ?? dictionaries.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** The string for an API error code when one exists (`error.<code>` or `<area>.<code>`), else the generic one. */
export function errorText(code: string, area?: string): string {
  const dictionary = dictionaries[locale.value];
  const specific = area ? dictionary[`${area}.${code}`] : undefined;
  return specific ?? dictionary[`error.${code}`] ?? dictionary[code] ?? dictionary['error.generic'] ?? code;
}

// --- formatting, in the user's locale and time zone ----------------------------------------

const intlLocale = computed(() => (locale.value === 'ko' ? 'ko-KR' : 'en'));
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const collator = computed(() => new Intl.Collator(intlLocale.value, { sensitivity: 'base', numeric: true }));
/** Compares names the locale's way (가나다 in Korean). */
export function compareNames(a: string, b: string): number {
  return collator.value.compare(a, b);
}
/** A copy of `items` sorted by `name(item)` with the locale's collation. */
export function sortByName<T>(items: readonly T[], name: (item: T) => string): T[] {
  const compare = collator.value.compare;
  return [...items].sort((a, b) => compare(name(a), name(b)));
}

const formats = computed(() => ({
  date: new Intl.DateTimeFormat(intlLocale.value, { dateStyle: 'medium', timeZone }),
  time: new Intl.DateTimeFormat(intlLocale.value, { timeStyle: 'short', timeZone }),
  dateTime: new Intl.DateTimeFormat(intlLocale.value, { dateStyle: 'medium', timeStyle: 'short', timeZone }),
  relative: new Intl.RelativeTimeFormat(intlLocale.value, { numeric: 'auto' }),
  number: new Intl.NumberFormat(intlLocale.value),
}));

export type DateStyle = 'date' | 'time' | 'dateTime';
export function formatDate(value: string | Date, style: DateStyle = 'dateTime'): string {
  return formats.value[style].format(typeof value === 'string' ? new Date(value) : value);
}

export function formatNumber(value: number): string {
  return formats.value.number.format(value);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
/** "3 minutes ago" / "3분 전"; under a minute "now". */
export function formatRelative(value: string | Date, now: number = Date.now()): string {
  const seconds = Math.round(((typeof value === 'string' ? Date.parse(value) : value.getTime()) - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return formats.value.relative.format(Math.trunc(seconds / size), unit);
  }
  return formats.value.relative.format(0, 'second');
}
