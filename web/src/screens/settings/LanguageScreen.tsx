import type { JSX } from 'preact';
import { LOCALES, locale, setLocale, t, type Locale } from '../../i18n';
import { Screen } from '../../ui';
import './settings.css';

const NAMES: Record<Locale, 'lang.ko' | 'lang.en'> = { ko: 'lang.ko', en: 'lang.en' };

/** Language: Korean or English, applied at once, remembered on this device. */
export default function LanguageScreen(): JSX.Element {
  return (
    <Screen title={t('settings.languageTitle')} back="/app/me">
      <p class="settings-lead" id="language-lead">{t('settings.languageLead')}</p>
      <fieldset class="choice-list list" aria-describedby="language-lead">
        <legend class="visually-hidden">{t('settings.languageTitle')}</legend>
        {LOCALES.map((code) => (
          <label class="choice-row" key={code}>
            <input type="radio" name="language" value={code} checked={locale.value === code} onChange={() => setLocale(code)} />
            <span class="choice-label" lang={code}>{t(NAMES[code])}</span>
          </label>
        ))}
      </fieldset>
    </Screen>
  );
}
