import type { JSX } from 'preact';
import { t } from '../../i18n';
import { Button, toast } from '../../ui';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A value to type into another app, shown selectable, with a Copy button. */
export function CopyField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }): JSX.Element {
  return (
    <div class={secret ? 'copy-field copy-secret' : 'copy-field'}>
      <div class="copy-text">
        <span class="copy-label">{label}</span>
        <code class="copy-value" data-field={label}>{value}</code>
      </div>
      <Button
        variant="secondary"
        aria-label={t('settings.copyField', { field: label })}
        onClick={async () => {
          const done = await copy(value);
          toast(done ? t('settings.copied') : t('settings.copyFailed'), done ? 'success' : 'error');
        }}
      >
        {t('settings.copy')}
      </Button>
    </div>
  );
}
