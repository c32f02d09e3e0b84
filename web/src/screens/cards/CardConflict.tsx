import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { describeCard, resolveCardConflict, type CardConflict as Conflict, type TypedValue } from '../../data/cards';
import { t, type MessageKey } from '../../i18n';
import { ConflictPanel, toast } from '../../ui';

const values = (list: TypedValue[]): string => list.map((item) => item.value).join(', ');

/** The card's fields as the person reads them (the card's `data` is free JSON). */
function readable(name: string, data: Record<string, unknown>, isPrivate: boolean): [MessageKey, string][] {
  const view = describeCard(name, data);
  return [
    ['cards.cardName', name],
    ['cards.familyName', view.familyName],
    ['cards.givenName', view.givenName],
    ['cards.jobTitle', view.title],
    ['cards.organization', view.organization],
    ['cards.department', view.department],
    ['cards.phones', values(view.phones)],
    ['cards.emails', values(view.emails)],
    ['cards.urls', view.urls.join(', ')],
    ['cards.address', view.addressLine],
    ['cards.note', view.note],
    ['cards.privateLabel', t(isPrivate ? 'cards.private' : 'cards.public')],
  ];
}

/**
 * A card edited here and on another device: the fields that differ, and the choice. Keeping
 * theirs calls `onTheirs` (the form starts again from their version).
 */
export function CardConflict({ id, conflict, onTheirs, onMine }: { id: string; conflict: Conflict; onTheirs: () => void; onMine: () => void }): JSX.Element {
  const { mine, theirs } = conflict;
  const theirFields = readable(theirs.name, theirs.data, theirs.private);
  const rows = readable(mine.name ?? theirs.name, mine.data ?? theirs.data, mine.private ?? theirs.private)
    .map(([label, value], n) => ({ label: t(label), mine: value, theirs: theirFields[n]?.[1] ?? '' }))
    .filter((row) => row.mine !== row.theirs);
  const choose = (keep: 'mine' | 'theirs'): Promise<void> =>
    resolveCardConflict(id, keep)
      .then(keep === 'mine' ? onMine : onTheirs)
      .catch((error: unknown) => toast(errorMessage(error, 'cards'), 'error'));
  return <ConflictPanel rows={rows} onChoose={choose} />;
}
