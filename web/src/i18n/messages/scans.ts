import { defineMessages } from '../define';

// Strings of the scans screens: keys start with 'scans.'; add each key to both languages.
export default defineMessages({
  en: {
    'scans.title': 'Scans',
  },
  ko: {
    'scans.title': '종이 명함',
  },
});
