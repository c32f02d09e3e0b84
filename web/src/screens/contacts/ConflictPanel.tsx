import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { resolveConflict, type ContactConflict } from '../../data/contacts';
import type { Contact, ContactInput, ContactValue } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { Button, toast } from '../../ui';

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

/** Both versions of a contact edited here and on another device, side by side, and the choice. */
export function ConflictPanel({ id, conflict }: { id: string; conflict: ContactConflict }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const differing = FIELDS.filter(([field]) => field in conflict.mine && shown(conflict.mine[field]) !== shown(conflict.theirs[field]));
  const choose = (keep: 'mine' | 'theirs'): void => {
    setBusy(true);
    resolveConflict(id, keep)
      .catch((error: unknown) => toast(errorMessage(error, 'contacts'), 'error'))
      .finally(() => setBusy(false));
  };
  return (
    <section class="conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title" class="conflict-title">{t('contacts.conflictTitle')}</h2>
      <p class="conflict-body">{t('contacts.conflictBody')}</p>
      <table class="conflict-table">
        <thead>
          <tr>
            <td />
            <th scope="col">{t('contacts.conflictMine')}</th>
            <th scope="col">{t('contacts.conflictTheirs')}</th>
          </tr>
        </thead>
        <tbody>
          {differing.map(([field, label]) => (
            <tr key={field}>
              <th scope="row">{t(label)}</th>
              <td class="conflict-mine">{shown(conflict.mine[field])}</td>
              <td class="conflict-theirs">{shown(conflict.theirs[field])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="conflict-actions">
        <Button busy={busy} onClick={() => choose('mine')}>{t('contacts.keepMine')}</Button>
        <Button variant="secondary" disabled={busy} onClick={() => choose('theirs')}>{t('contacts.keepTheirs')}</Button>
      </div>
    </section>
  );
}
