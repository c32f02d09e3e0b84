import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { REPORT_REASONS, sendReport, type ReportReason, type ReportTarget } from '../../data/reports';
import { t, type MessageKey } from '../../i18n';
import { Button, Sheet, TextField, toast } from '../../ui';
import './reports.css';

const REASON_KEYS: Record<ReportReason, MessageKey> = {
  spam: 'reports.reasonSpam',
  harassment: 'reports.reasonHarassment',
  impersonation: 'reports.reasonImpersonation',
  other: 'reports.reasonOther',
};

/** Report a message, a profile or a card as my profile `me`: a reason, optional words. */
export function ReportSheet({ me, target, onClose }: { me: string; target: ReportTarget | null; onClose: () => void }): JSX.Element {
  const [reason, setReason] = useState<ReportReason>('spam');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!target) return;
    setBusy(true);
    try {
      await sendReport(me, target, reason, text);
      toast(t('reports.sent'), 'success');
      setText('');
      onClose();
    } catch (failure) {
      toast(errorMessage(failure, 'reports'), 'error');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Sheet open={target !== null} onClose={onClose} title={t('reports.title')}>
      <form class="form report-form" onSubmit={submit} noValidate>
        <fieldset class="report-reasons">
          <legend class="field-label">{t('reports.reason')}</legend>
          {REPORT_REASONS.map((value) => (
            <label class="report-reason" key={value}>
              <input type="radio" name="reason" value={value} checked={reason === value} onChange={() => setReason(value)} />
              <span>{t(REASON_KEYS[value])}</span>
            </label>
          ))}
        </fieldset>
        <TextField label={t('reports.text')} value={text} onValue={setText} multiline rows={3} maxLength={1000} optional optionalLabel={t('common.optional')} />
        <p class="field-hint">{t('reports.hint')}</p>
        <Button type="submit" variant="danger" block busy={busy} busyLabel={t('reports.sending')}>{t('reports.send')}</Button>
      </form>
    </Sheet>
  );
}
