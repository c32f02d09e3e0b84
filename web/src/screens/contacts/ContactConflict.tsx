import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { resolveContactConflict, type ContactConflict as Conflict } from '../../data/contacts';
import type { Contact, ContactInput, ContactValue } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { ConflictPanel, toast } from '../../ui';

const FIELDS: [keyof ContactInput & keyof Contact, MessageKey][] = [
  ['name', 'contacts.name'],
  ['organization', 'contacts.organization'],
  ['title', 'contacts.jobTitle'],
  ['phones', 'contacts.phones'],
  ['emails', 'contacts.emails'],
  ['urls', 'contacts.urls'],
  ['address', 'contacts.address'],
  ['note', 'contacts.note'],
];

function shown(value: string | null | undefined | (string | ContactValue)[]): string {
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : item.value)).join(', ');
  return value ?? '';
}

/** A contact edited here and on another device: the fields that differ, and the choice. */
export function ContactConflict({ id, conflict }: { id: string; conflict: Conflict }): JSX.Element {
  const rows = FIELDS.filter(([field]) => field in conflict.mine)
    .map(([field, label]) => ({ label: t(label), mine: shown(conflict.mine[field]), theirs: shown(conflict.theirs[field]) }))
    .filter((row) => row.mine !== row.theirs);
  const choose = (keep: 'mine' | 'theirs'): Promise<void> =>
    resolveContactConflict(id, keep).catch((error: unknown) => toast(errorMessage(error, 'contacts'), 'error'));
  return <ConflictPanel rows={rows} onChoose={choose} />;
}
