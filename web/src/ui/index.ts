/** The app's UI kit. Screens import from here: `import { Button, Screen } from '../../ui';` */
export { Avatar } from './Avatar';
export { Button, IconButton, LinkButton } from './Button';
export { ConflictPanel } from './ConflictPanel';
export type { ConflictRow } from './ConflictPanel';
export type { ButtonVariant } from './Button';
export { EmptyState, ErrorBox, Loading } from './EmptyState';
export * from './icons';
export { List, ListRow } from './ListRow';
export { Screen, TabBar } from './Screen';
export { ConfirmSheet, Sheet } from './Sheet';
export { Switch, TextField } from './TextField';
export { toast, Toasts } from './Toast';
export type { ToastKind } from './Toast';
