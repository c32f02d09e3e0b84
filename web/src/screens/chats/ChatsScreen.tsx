import type { JSX } from 'preact';
import { Soon } from '../Soon';

export default function ChatsScreen(): JSX.Element {
  return <Soon titleKey="chat.title" />;
}
