/** A placeholder for a section another screen helper builds (replace it in your area). */
import type { JSX } from 'preact';
import { t, type MessageKey } from '../i18n';
import { EmptyState, Screen } from '../ui';

export function Soon({ titleKey, tabs = true }: { titleKey: MessageKey; tabs?: boolean }): JSX.Element {
  return (
    <Screen title={t(titleKey)} tabs={tabs}>
      <EmptyState title={t(titleKey)} body={t('soon.body')} />
    </Screen>
  );
}
