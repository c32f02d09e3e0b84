import { defineMessages } from '../define';

// Strings of the share screens: keys start with 'share.'; add each key to both languages.
export default defineMessages({
  en: {
    'share.title': 'Share',
    'share.qrAlt': 'QR code of the card “{name}”',
    'share.scanHint': 'Let the other phone scan this code.',
    'share.fullScreen': 'Show full screen',
    'share.exitFullScreen': 'Tap anywhere to close',
    'share.shareLink': 'Share the link',
    'share.copied': 'Link copied',
    'share.copyFailed': 'Could not copy. The link is: {url}',
    'share.vcard': 'Download vCard',
    'share.openPage': 'Open the card page',
    'share.link': 'Card link',
    'share.shareText': '{name}’s business card',
    'share.awake': 'The screen stays on while this is open.',
  },
  ko: {
    'share.title': '공유',
    'share.qrAlt': '“{name}” 명함의 QR 코드',
    'share.scanHint': '상대방 휴대폰으로 이 코드를 스캔하게 하세요.',
    'share.fullScreen': '전체 화면으로 보기',
    'share.exitFullScreen': '아무 곳이나 누르면 닫힙니다',
    'share.shareLink': '링크 공유',
    'share.copied': '링크를 복사했습니다',
    'share.copyFailed': '복사하지 못했습니다. 링크: {url}',
    'share.vcard': 'vCard 내려받기',
    'share.openPage': '명함 페이지 열기',
    'share.link': '명함 링크',
    'share.shareText': '{name}님의 명함',
    'share.awake': '이 화면이 열려 있는 동안 화면이 꺼지지 않습니다.',
  },
});
