/** Small line icons (24 px grid, currentColor). Decorative: the control around them carries the label. */
import type { JSX, SVGAttributes } from 'preact';

type IconProps = { size?: number } & SVGAttributes<SVGSVGElement>;

function Icon({ size = 24, children, ...rest }: IconProps & { children: JSX.Element | JSX.Element[] }): JSX.Element {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false" {...rest}>
      {children}
    </svg>
  );
}

export const BackIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M15 18l-6-6 6-6" /></Icon>;
export const WalletIcon = (p: IconProps): JSX.Element => <Icon {...p}><rect x="3" y="6" width="18" height="13" rx="2" /><path d="M3 10h18M7 15h4" /></Icon>;
export const ChatIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" /></Icon>;
export const ContactsIcon = (p: IconProps): JSX.Element => <Icon {...p}><circle cx="12" cy="8" r="4" /><path d="M4 21c0-4 4-6 8-6s8 2 8 6" /></Icon>;
export const MeIcon = (p: IconProps): JSX.Element => <Icon {...p}><rect x="3" y="4" width="18" height="16" rx="2" /><circle cx="9" cy="11" r="2.5" /><path d="M14 10h4M14 14h4M5.5 17c.5-2 2-3 3.5-3s3 1 3.5 3" /></Icon>;
export const PlusIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M12 5v14M5 12h14" /></Icon>;
export const CheckIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M5 12l5 5L20 7" /></Icon>;
export const ChevronIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M9 6l6 6-6 6" /></Icon>;
export const CloseIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M6 6l12 12M18 6L6 18" /></Icon>;
export const CameraIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M4 8h3l2-3h6l2 3h3v11H4z" /><circle cx="12" cy="13" r="3.5" /></Icon>;
export const SearchIcon = (p: IconProps): JSX.Element => <Icon {...p}><circle cx="11" cy="11" r="7" /><path d="M20 20l-4-4" /></Icon>;
export const ShareIcon = (p: IconProps): JSX.Element => <Icon {...p}><path d="M12 3v12M7 8l5-5 5 5M5 14v6h14v-6" /></Icon>;
export const ClockIcon = (p: IconProps): JSX.Element => <Icon {...p}><circle cx="12" cy="12" r="8.5" /><path d="M12 7.5V12l3 2" /></Icon>;
export const MoreIcon = (p: IconProps): JSX.Element => <Icon {...p}><circle cx="5" cy="12" r="1" /><circle cx="12" cy="12" r="1" /><circle cx="19" cy="12" r="1" /></Icon>;
