import { defineMessages } from '../define';

// Strings of the contacts screens: keys start with 'contacts.'; add each key to both languages.
export default defineMessages({
  en: {
    'contacts.title': 'Contacts',
  },
  ko: {
    'contacts.title': '연락처',
  },
});
