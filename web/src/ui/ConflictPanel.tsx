import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { Button } from './Button';

/** One field that differs between my edit and the version saved meanwhile, as shown text. */
export interface ConflictRow {
  label: string;
  mine: string;
  theirs: string;
}

/**
 * Both versions of a row edited here and on another device, side by side, and the choice
 * (a row's screen shows it while `versioned.ts` holds a conflict for it).
 */
export function ConflictPanel({ rows, onChoose }: { rows: ConflictRow[]; onChoose: (keep: 'mine' | 'theirs') => Promise<void> }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const choose = (keep: 'mine' | 'theirs'): void => {
    setBusy(true);
    void onChoose(keep).finally(() => setBusy(false));
  };
  return (
    <section class="conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title" class="conflict-title">{t('common.conflictTitle')}</h2>
      <p class="conflict-body">{t('common.conflictBody')}</p>
      <table class="conflict-table">
        <thead>
          <tr>
            <td />
            <th scope="col">{t('common.conflictMine')}</th>
            <th scope="col">{t('common.conflictTheirs')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td class="conflict-mine">{row.mine}</td>
              <td class="conflict-theirs">{row.theirs}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="conflict-actions">
        <Button busy={busy} onClick={() => choose('mine')}>{t('common.keepMine')}</Button>
        <Button variant="secondary" disabled={busy} onClick={() => choose('theirs')}>{t('common.keepTheirs')}</Button>
      </div>
    </section>
  );
}
