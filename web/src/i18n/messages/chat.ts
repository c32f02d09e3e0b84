import { defineMessages } from '../define';

// Strings of the chat screens: keys start with 'chat.'; add each key to both languages.
export default defineMessages({
  en: {
    'chat.title': 'Chat',
  },
  ko: {
    'chat.title': '채팅',
  },
});
