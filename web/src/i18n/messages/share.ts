import { defineMessages } from '../define';

// Strings of the share screens: keys start with 'share.'; add each key to both languages.
export default defineMessages({
  en: {
    'share.title': 'Share',
  },
  ko: {
    'share.title': '공유',
  },
});
