import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { cardQuery, confirmEmailVerification, describeCard, requestEmailVerification, verifiedEntry } from '../../data/cards';
import { online } from '../../data/offline';
import { useQuery } from '../../data/query';
import type { Card } from '../../data/types';
import { t } from '../../i18n';
import { Button, TextField, toast } from '../../ui';
import { VerifiedBadge } from './BusinessCard';

/**
 * The saved card's email addresses and their verification: "Send a code" mails a six-digit
 * code (and a link) to the address; entering the code marks it verified for a year. Works on
 * the card as saved (a changed address is verified after saving it). Online only. A
 * confirmation bumps the card's version: `onVerified` starts the editor afresh from it.
 */
export function VerifyEmails({ card: start, onVerified }: { card: Card; onVerified?: () => void }): JSX.Element | null {
  const card = useQuery(cardQuery(start.id))?.data.value ?? start;
  const emails = describeCard(card.name, card.data).emails;
  if (!emails.length) return null;
  return (
    <fieldset class="verify-emails" id="verify-emails">
      <legend class="field-group-title">{t('cards.verifyTitle')}</legend>
      <p class="field-hint">{t('cards.verifyHint')}</p>
      {emails.map((email) => (
        <VerifyRow key={email.value} card={card} email={email.value} onVerified={onVerified} />
      ))}
    </fieldset>
  );
}

function VerifyRow({ card, email, onVerified }: { card: Card; email: string; onVerified?: () => void }): JSX.Element {
  const entry = verifiedEntry(card.verified, email);
  const [sent, setSent] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await requestEmailVerification(card.id, email);
      setSent(true);
      setCode('');
    } catch (failure) {
      setError(errorMessage(failure, 'cards'));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: Event): Promise<void> {
    event.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) return setError(t('cards.invalid_code'));
    setBusy(true);
    setError(null);
    try {
      await confirmEmailVerification(card.id, email, code.trim());
      setSent(false);
      toast(t('cards.verifiedDone', { email }), 'success');
      onVerified?.();
    } catch (failure) {
      setError(errorMessage(failure, 'cards'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="verify-row">
      <p class="verify-address">{email}<VerifiedBadge entry={entry} /></p>
      {entry ? <p class="verify-state">{t('cards.verifiedUntil', { date: entry.expires_at.slice(0, 10) })}</p> : null}
      {sent ? (
        <form class="form" onSubmit={confirm} noValidate>
          <p class="verify-state" role="status">{t('cards.codeSent', { email })}</p>
          <TextField label={t('cards.code')} value={code} onValue={setCode} inputMode="numeric" autocomplete="one-time-code" maxLength={6} error={error} />
          <Button type="submit" busy={busy} busyLabel={t('common.saving')}>{t('cards.confirmCode')}</Button>
          <Button variant="ghost" onClick={() => void send()} disabled={busy}>{t('cards.sendAgain')}</Button>
        </form>
      ) : (
        <>
          {error ? <p class="form-error" role="alert">{error}</p> : null}
          <Button variant="secondary" busy={busy} busyLabel={t('cards.sending')} disabled={!online.value} onClick={() => void send()}>
            {t(entry ? 'cards.verifyAgain' : 'cards.verifySend')}
          </Button>
        </>
      )}
    </div>
  );
}
