import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { resolveProfileConflict, type ProfileConflict as Conflict } from '../../data/profiles';
import type { Profile } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { ConflictPanel, toast } from '../../ui';

const FIELDS: ['name' | 'team_name' | 'description' | 'private', MessageKey][] = [
  ['name', 'profile.name'],
  ['team_name', 'profile.team'],
  ['description', 'profile.bio'],
  ['private', 'profile.private'],
];

function shown(profile: Partial<Profile>, field: (typeof FIELDS)[number][0]): string {
  const value = profile[field];
  if (typeof value === 'boolean') return value ? '✓' : '—';
  return value ?? '';
}

/**
 * A profile edited here and on another device: the fields that differ, and the choice.
 * Keeping theirs calls `onTheirs` (the form starts again from their version).
 */
export function ProfileConflict({ id, conflict, onTheirs, onMine }: { id: string; conflict: Conflict; onTheirs: () => void; onMine: () => void }): JSX.Element {
  const rows = FIELDS.filter(([field]) => field in conflict.mine)
    .map(([field, label]) => ({ label: t(label), mine: shown(conflict.mine, field), theirs: shown(conflict.theirs, field) }))
    .filter((row) => row.mine !== row.theirs);
  const choose = (keep: 'mine' | 'theirs'): Promise<void> =>
    resolveProfileConflict(id, keep)
      .then(keep === 'mine' ? onMine : onTheirs)
      .catch((error: unknown) => toast(errorMessage(error, 'profile'), 'error'));
  return <ConflictPanel rows={rows} onChoose={choose} />;
}
