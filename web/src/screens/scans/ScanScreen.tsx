import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { draftFromScan, draftToInput, type ContactDraft } from '../../data/contacts';
import { useFileUrl } from '../../data/files';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { acceptScan, scanQuery, watchScan } from '../../data/scans';
import type { Scan, ScanFields, ScanSuggestion } from '../../data/types';
import { ApiError } from '../../data/types';
import { subscribe, walletQuery } from '../../data/wallet';
import { t } from '../../i18n';
import { Button, ErrorBox, LinkButton, List, ListRow, Loading, Screen, toast } from '../../ui';
import { ContactForm } from '../contacts/ContactForm';
import { paths as contactPaths } from '../contacts/routes';
import { paths } from './routes';
import '../contacts/contacts.css';
import './scans.css';

const LOW = 0.6;

function lows(fields: ScanFields | null): Partial<Record<'name' | 'organization' | 'title' | 'address', boolean>> {
  if (!fields) return {};
  const low = (item: { confidence: number } | null): boolean => item !== null && item.confidence < LOW;
  return { name: low(fields.name), organization: low(fields.organization), title: low(fields.title), address: low(fields.address) };
}

/** A scan: its photo while it is read, then the fields to correct and accept, or why it failed. */
export default function ScanScreen(): JSX.Element {
  const { id } = useRoute().params as { id: string };
  const q = useQuery(scanQuery(id));
  const scan = q.data.value;

  useEffect(() => {
    const stop = new AbortController();
    watchScan(id, stop.signal).catch(() => void q.reload());
    return () => stop.abort();
  }, [id, q]);

  return (
    <Screen title={t('scans.reviewTitle')} back={contactPaths.home}>
      {scan ? <Photo url={scan.image_url} /> : null}
      {!scan ? (
        q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'scans')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />
      ) : scan.status === 'pending' ? (
        <div class="scan-status" role="status">
          <span class="spinner" aria-hidden="true" />
          <span>{t('scans.reading')}</span>
        </div>
      ) : scan.status === 'failed' ? (
        <div class="error-box" role="alert">
          <p class="scan-failure">{t('scans.failed')}</p>
          {scan.failure ? <p>{scan.failure}</p> : null}
          <LinkButton href={paths.create}>{t('scans.again')}</LinkButton>
        </div>
      ) : (
        <Review scan={scan} />
      )}
    </Screen>
  );
}

function Photo({ url }: { url: string | null }): JSX.Element {
  const shown = useFileUrl(url);
  return <div class="scan-photo">{shown ? <img src={shown} alt={t('scans.photoAlt')} /> : null}</div>;
}

function Review({ scan }: { scan: Scan }): JSX.Element {
  const { route } = useLocation();
  const [draft, setDraft] = useState<ContactDraft>(() => draftFromScan(scan.fields));
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [nameError, setNameError] = useState<string | null>(null);

  async function accept(event: Event): Promise<void> {
    event.preventDefault();
    const input = draftToInput(draft);
    if (!input.name) {
      setNameError(t('contacts.nameRequired'));
      return;
    }
    setNameError(null);
    setBusy(true);
    setFailure(null);
    try {
      const contact = await acceptScan(scan, input);
      toast(t('scans.accepted', { name: contact.name }), 'success');
      route(contactPaths.contact(contact.id), true);
    } catch (error) {
      setBusy(false);
      setFailure(error);
    }
  }

  return (
    <>
      {scan.suggestions.length ? <Suggestions scan={scan} /> : null}
      {scan.contact_id ? (
        <p class="form-note">
          {t('scans.alreadyAccepted')} <a href={contactPaths.contact(scan.contact_id)}>{t('scans.openContact')}</a>
        </p>
      ) : null}
      <h2 class="list-heading">{t('scans.checkFields')}</h2>
      <form class="form" onSubmit={(event) => void accept(event)} noValidate>
        {failure ? <p class="form-error" role="alert">{errorMessage(failure, 'scans')}</p> : null}
        <ContactForm
          draft={draft}
          onDraft={setDraft}
          lows={lows(scan.fields)}
          errors={{ name: nameError ?? (failure instanceof ApiError ? failure.fieldMessage('name') : null) }}
        />
        <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('scans.accept')}</Button>
      </form>
    </>
  );
}

function Suggestions({ scan }: { scan: Scan }): JSX.Element {
  const me = activeProfile.value;
  const wallet = useQuery(me ? walletQuery(me.id) : null);
  const held = new Set((wallet?.data.value ?? []).map((entry) => entry.card.id));
  const [adding, setAdding] = useState<string | null>(null);

  async function add(suggestion: ScanSuggestion): Promise<void> {
    if (!me) return;
    setAdding(suggestion.card_id);
    try {
      await subscribe(me.id, suggestion.card_id);
      toast(t('scans.subscribed', { name: suggestion.card_name }), 'success');
    } catch (error) {
      toast(errorMessage(error, 'scans'), 'error');
    } finally {
      setAdding(null);
    }
  }

  return (
    <>
      <List heading={t('scans.suggestions')}>
        {scan.suggestions.map((suggestion) => (
          <ListRow
            key={suggestion.card_id}
            title={suggestion.card_name}
            subtitle={t(suggestion.matched === 'email' ? 'scans.matchedEmail' : 'scans.matchedPhone', { profile: suggestion.profile_name, value: suggestion.value })}
            trailing={
              held.has(suggestion.card_id) ? (
                <span class="pill">{t('scans.inWallet')}</span>
              ) : (
                <Button class="btn-small" busy={adding === suggestion.card_id} onClick={() => void add(suggestion)} aria-label={t('scans.subscribeTo', { name: suggestion.card_name })}>
                  {t('scans.subscribe')}
                </Button>
              )
            }
          />
        ))}
      </List>
      <p class="suggestion-note">{t('scans.suggestionsNote')}</p>
    </>
  );
}
