import { defineMessages } from '../define';

// Strings of the cards screens: keys start with 'cards.'; add each key to both languages.
export default defineMessages({
  en: {
    'cards.title': 'Cards',
  },
  ko: {
    'cards.title': '명함',
  },
});
