import { describe, expect, it } from 'vitest';
import { compareNames, detectLocale, errorText, formatRelative, locale, setLocale, sortByName, t } from '../../src/i18n';

describe('i18n', () => {
  it('picks Korean or English from the browser languages', () => {
    expect(detectLocale(['ko-KR', 'en-US'])).toBe('ko');
    expect(detectLocale(['en-GB', 'ko'])).toBe('en');
    expect(detectLocale(['fr-FR'])).toBe('en');
    expect(detectLocale([])).toBe('en');
  });

  it('fills placeholders in the current language', () => {
    setLocale('en');
    expect(t('checkMail.body', { email: 'a@b.c' })).toContain('a@b.c');
    setLocale('ko');
    expect(locale.value).toBe('ko');
    expect(t('tabs.wallet')).toBe('명함첩');
    setLocale('en');
    expect(t('tabs.wallet')).toBe('Wallet');
  });

  it('finds the sentence for an error code: area first, then common, then generic', () => {
    setLocale('en');
    expect(errorText('invalid_credentials', 'signIn')).toBe(t('signIn.invalid_credentials'));
    expect(errorText('rate_limited')).toBe(t('error.rate_limited'));
    expect(errorText('no_such_code')).toBe(t('error.generic'));
  });

  it('sorts names with the locale collation', () => {
    setLocale('ko');
    expect(sortByName(['하나', '가나', '다라'], (name) => name)).toEqual(['가나', '다라', '하나']);
    expect(compareNames('item 2', 'item 10')).toBeLessThan(0);
  });

  it('says how long ago in words', () => {
    setLocale('en');
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(formatRelative('2026-12-07T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-12-06T12:00:00Z', now)).toBe('yesterday');
  });
});
