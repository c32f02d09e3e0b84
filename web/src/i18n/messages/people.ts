import { defineMessages } from '../define';

// Strings of the people screens: keys start with 'people.'; add each key to both languages.
export default defineMessages({
  en: {
    'people.title': 'People',
  },
  ko: {
    'people.title': '사람들',
  },
});
