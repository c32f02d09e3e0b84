import type { JSX } from 'preact';
import { LOCALES, locale, setLocale, t } from '../../i18n';

/** 한국어 | English, for the pages before sign-in. */
export function LanguageSwitch(): JSX.Element {
  return (
    <div class="lang-switch" role="group" aria-label={t('lang.label')}>
      {LOCALES.map((code) => (
        <button key={code} type="button" lang={code} aria-pressed={locale.value === code} onClick={() => setLocale(code)}>
          {t(code === 'ko' ? 'lang.ko' : 'lang.en')}
        </button>
      ))}
    </div>
  );
}
