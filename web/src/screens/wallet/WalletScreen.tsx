import type { JSX } from 'preact';
import { Soon } from '../Soon';

export default function WalletScreen(): JSX.Element {
  return <Soon titleKey="wallet.title" />;
}
