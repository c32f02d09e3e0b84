import { defineMessages } from '../define';

// Strings of the wallet screens: keys start with 'wallet.'; add each key to both languages.
export default defineMessages({
  en: {
    'wallet.title': 'Wallet',
  },
  ko: {
    'wallet.title': '명함첩',
  },
});
