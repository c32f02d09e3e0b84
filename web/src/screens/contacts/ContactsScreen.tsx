import type { JSX } from 'preact';
import { Soon } from '../Soon';

export default function ContactsScreen(): JSX.Element {
  return <Soon titleKey="contacts.title" />;
}
