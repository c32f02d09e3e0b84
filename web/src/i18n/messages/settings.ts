import { defineMessages } from '../define';

// Strings of the settings screens: keys start with 'settings.'; add each key to both languages.
export default defineMessages({
  en: {
    'settings.title': 'Settings',
  },
  ko: {
    'settings.title': '설정',
  },
});
