import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { cardConflicts, cardQuery, createCard, deleteCard, describeCard, updateCard, uploadCardPreview, type TypedValue } from '../../data/cards';
import { online } from '../../data/offline';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { ApiError, type Card } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { Button, ConfirmSheet, ErrorBox, IconButton, CloseIcon, LinkButton, Loading, Screen, Switch, TextField, toast } from '../../ui';
import { paths as sharePaths } from '../share/routes';
import { BusinessCard } from './BusinessCard';
import { CardConflict } from './CardConflict';
import { paths } from './routes';
import { VerifyEmails } from './VerifyEmails';
import './cards.css';

/** Create (`/app/cards/new`) or edit (`/app/cards/:id`) a card of my active profile. */
export default function CardEdit(): JSX.Element {
  const { params } = useRoute();
  const id = params.id;
  const q = useQuery(id ? cardQuery(id) : null);
  // The form keeps what it started from: a reload behind its back (a sync hint) neither
  // wipes the edits nor moves the version its If-Match sends; only "Reload" starts afresh.
  const [round, setRound] = useState(0);
  if (!id || !q) return <CardForm key="new" card={null} />;
  const card = q.data.value;
  if (card === undefined) {
    return (
      <Screen title={t('cards.editTitle')} back={paths.home}>
        {q.error.value ? <ErrorBox message={errorMessage(q.error.value, 'cards')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />}
      </Screen>
    );
  }
  const reload = (): void => {
    void q.reload().then(() => setRound((n) => n + 1));
  };
  // A verified address comes back as the card's new version (already in the query): the
  // form starts afresh from it, so that its next save does not meet a stale version.
  const restart = (): void => setRound((n) => n + 1);
  return <CardForm key={`${card.id}:${round}`} card={card} onReload={reload} onVerified={restart} />;
}

interface Draft {
  name: string;
  given_name: string;
  family_name: string;
  title: string;
  organization: string;
  department: string;
  phones: TypedValue[];
  emails: TypedValue[];
  urls: string[];
  street: string;
  locality: string;
  region: string;
  postal_code: string;
  country: string;
  note: string;
}

function draftOf(card: Card | null): Draft {
  const view = describeCard(card?.name ?? '', card?.data ?? {});
  return {
    name: card?.name ?? '',
    given_name: view.givenName,
    family_name: view.familyName,
    title: view.title,
    organization: view.organization,
    department: view.department,
    phones: view.phones.length ? view.phones : [{ value: '', type: 'work' }],
    emails: view.emails.length ? view.emails : [{ value: '', type: 'work' }],
    urls: view.urls.length ? view.urls : [''],
    ...view.address,
    note: view.note,
  };
}

const WELL_KNOWN: ReadonlySet<string> = new Set(['given_name', 'family_name', 'title', 'organization', 'department', 'phones', 'emails', 'urls', 'address', 'note']);

/** The card's `data` from the form: well-known keys set or left out, every other key kept as it was. */
export function dataOf(draft: Draft, original: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = Object.fromEntries(Object.entries(original).filter(([key]) => !WELL_KNOWN.has(key)));
  const put = (key: string, value: string): void => {
    if (value.trim()) data[key] = value.trim();
  };
  put('given_name', draft.given_name);
  put('family_name', draft.family_name);
  put('title', draft.title);
  put('organization', draft.organization);
  put('department', draft.department);
  const typed = (list: TypedValue[]): TypedValue[] =>
    list.filter((item) => item.value.trim()).map((item) => ({ value: item.value.trim(), type: item.type?.trim() || null }));
  const phones = typed(draft.phones);
  if (phones.length) data.phones = phones;
  const emails = typed(draft.emails);
  if (emails.length) data.emails = emails;
  const urls = draft.urls.map((url) => url.trim()).filter(Boolean);
  if (urls.length) data.urls = urls;
  const address = { street: draft.street, locality: draft.locality, region: draft.region, postal_code: draft.postal_code, country: draft.country };
  const filled: Record<string, string> = {};
  for (const [key, value] of Object.entries(address)) if (value.trim()) filled[key] = value.trim();
  if (Object.keys(filled).length) data.address = filled;
  put('note', draft.note);
  return data;
}

function CardForm({ card: current, onReload, onVerified }: { card: Card | null; onReload?: () => void; onVerified?: () => void }): JSX.Element {
  const { route } = useLocation();
  const [card] = useState(current);
  const profile = activeProfile.value;
  const [draft, setDraft] = useState<Draft>(() => draftOf(card));
  const [isPrivate, setPrivate] = useState(card?.private ?? false);
  const [image, setImage] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]): void => setDraft((old) => ({ ...old, [key]: value }));
  const data = dataOf(draft, card?.data ?? {});

  function pick(event: Event): void {
    const file = (event.currentTarget as HTMLInputElement).files?.[0] ?? null;
    setImage(file);
    setPreview(file ? URL.createObjectURL(file) : null);
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const name = draft.name.trim() || describeCard('', data).displayName;
    if (!name) return setNameError(t('cards.nameRequired'));
    if (!profile && !card) return setError(t('cards.noProfile'));
    setNameError(null);
    setError(null);
    setStale(false);
    if (image && !online.value) return setError(t('cards.imageOffline'));
    setBusy(true);
    try {
      let saved = card
        ? await updateCard(card.id, { name, data, private: isPrivate }, card.version)
        : await createCard(profile?.id ?? '', { name, data, private: isPrivate });
      if (image) {
        setProgress(0);
        saved = await uploadCardPreview(saved.id, image, setProgress);
      }
      toast(t(card ? 'cards.saved' : 'cards.created'), 'success');
      route(card ? paths.home : sharePaths.card(saved.id), true);
    } catch (failure) {
      setBusy(false);
      setProgress(null);
      // Changed on another device meanwhile: the conflict shows above the form.
      if (failure instanceof ApiError && failure.code === 'precondition_failed') return;
      if (failure instanceof ApiError && failure.code === 'validation_error' && failure.fieldMessage('name')) {
        setNameError(failure.fieldMessage('name'));
      } else {
        setError(errorMessage(failure, 'cards'));
      }
    }
  }

  async function remove(): Promise<void> {
    if (!card) return;
    setBusy(true);
    try {
      await deleteCard(card);
      toast(t('cards.deleted'), 'success');
      route(paths.home, true);
    } catch (failure) {
      setBusy(false);
      setConfirming(false);
      if (failure instanceof ApiError && failure.code === 'precondition_failed') setStale(true);
      else setError(errorMessage(failure, 'cards'));
    }
  }

  const optional = { optional: true, optionalLabel: t('common.optional') };
  const conflict = card ? cardConflicts.value.get(card.id) : undefined;
  return (
    <Screen
      title={card ? t('cards.editTitle') : t('cards.newTitle')}
      back={paths.home}
      actions={card ? <LinkButton variant="ghost" href={sharePaths.card(card.id)}>{t('cards.share')}</LinkButton> : null}
    >
      <section class="card-editor-preview" aria-label={t('cards.preview')}>
        <p class="card-editor-preview-label" aria-hidden="true">{t('cards.preview')}</p>
        <BusinessCard name={draft.name} data={data} imageUrl={preview ?? card?.preview_url ?? null} isPrivate={isPrivate} verified={card?.verified} />
      </section>
      {conflict && card ? (
        <CardConflict
          id={card.id}
          conflict={conflict}
          onTheirs={() => onReload?.()}
          onMine={() => {
            toast(t('cards.saved'), 'success');
            route(paths.home, true);
          }}
        />
      ) : null}
      <form class="form" onSubmit={submit} noValidate>
        {stale ? (
          <div class="form-error stale-box" role="alert">
            <span>{t('cards.stale')}</span>
            <Button variant="secondary" onClick={() => onReload?.()}>{t('cards.reload')}</Button>
          </div>
        ) : null}
        <TextField label={t('cards.cardName')} hint={t('cards.cardNameHint')} value={draft.name} onValue={set('name')} error={nameError} maxLength={100} required />
        <TextField label={t('cards.familyName')} value={draft.family_name} onValue={set('family_name')} maxLength={100} autocomplete="family-name" {...optional} />
        <TextField label={t('cards.givenName')} value={draft.given_name} onValue={set('given_name')} maxLength={100} autocomplete="given-name" {...optional} />
        <TextField label={t('cards.jobTitle')} value={draft.title} onValue={set('title')} maxLength={200} autocomplete="organization-title" {...optional} />
        <TextField label={t('cards.organization')} value={draft.organization} onValue={set('organization')} maxLength={200} autocomplete="organization" {...optional} />
        <TextField label={t('cards.department')} value={draft.department} onValue={set('department')} maxLength={200} {...optional} />
        <Repeat title={t('cards.phones')} itemKey="cards.phone" addKey="cards.addPhone" list={draft.phones} onList={set('phones')} type="tel" />
        <Repeat title={t('cards.emails')} itemKey="cards.email" addKey="cards.addEmail" list={draft.emails} onList={set('emails')} type="email" />
        <fieldset class="field-group">
          <legend class="field-group-title">{t('cards.urls')}</legend>
          {draft.urls.map((url, n) => (
            <div class="repeat-row" key={n}>
              <TextField label={t('cards.url', { n: n + 1 })} type="url" inputMode="url" value={url} maxLength={2000} onValue={(value) => set('urls')(draft.urls.map((old, i) => (i === n ? value : old)))} />
              {draft.urls.length > 1 ? (
                <IconButton label={t('cards.remove', { what: t('cards.url', { n: n + 1 }) })} onClick={() => set('urls')(draft.urls.filter((_, i) => i !== n))}><CloseIcon /></IconButton>
              ) : null}
            </div>
          ))}
          {draft.urls.length < 20 ? <Button variant="ghost" onClick={() => set('urls')([...draft.urls, ''])}>{t('cards.addUrl')}</Button> : null}
        </fieldset>
        <fieldset class="field-group">
          <legend class="field-group-title">{t('cards.address')}</legend>
          <TextField label={t('cards.street')} value={draft.street} onValue={set('street')} maxLength={200} autocomplete="street-address" />
          <TextField label={t('cards.locality')} value={draft.locality} onValue={set('locality')} maxLength={200} autocomplete="address-level2" />
          <TextField label={t('cards.region')} value={draft.region} onValue={set('region')} maxLength={200} autocomplete="address-level1" />
          <TextField label={t('cards.postalCode')} value={draft.postal_code} onValue={set('postal_code')} maxLength={200} autocomplete="postal-code" />
          <TextField label={t('cards.country')} value={draft.country} onValue={set('country')} maxLength={200} autocomplete="country-name" />
        </fieldset>
        <TextField label={t('cards.note')} value={draft.note} onValue={set('note')} multiline rows={3} maxLength={4000} {...optional} />
        <div class="field">
          <span class="field-label">{t('cards.image')}</span>
          <div class="image-pick">
            <input id="card-image" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/gif,image/webp" onChange={pick} />
            <label class="btn btn-secondary" for="card-image">{t('cards.chooseImage')}</label>
          </div>
          <p class="field-hint">{t('cards.imageHint')}</p>
          {progress !== null ? <p class="field-hint" role="status">{t('cards.uploading', { percent: Math.round(progress * 100) })}</p> : null}
        </div>
        <Switch label={t('cards.privateLabel')} hint={t('cards.privateHint')} checked={isPrivate} onChange={setPrivate} />
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('common.save')}</Button>
        {card ? <Button variant="ghost" block onClick={() => setConfirming(true)}>{t('cards.delete')}</Button> : null}
      </form>
      {card ? <VerifyEmails card={card} onVerified={onVerified} /> : null}
      {card ? (
        <ConfirmSheet
          open={confirming}
          title={t('cards.delete')}
          message={t('cards.deleteConfirm', { name: card.name })}
          confirmLabel={t('common.delete')}
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onClose={() => setConfirming(false)}
        />
      ) : null}
    </Screen>
  );
}

function Repeat({ title, itemKey, addKey, list, onList, type }: {
  title: string;
  itemKey: MessageKey;
  addKey: MessageKey;
  list: TypedValue[];
  onList: (list: TypedValue[]) => void;
  type: 'tel' | 'email';
}): JSX.Element {
  const change = (n: number, value: string): void => onList(list.map((item, i) => (i === n ? { ...item, value } : item)));
  return (
    <fieldset class="field-group">
      <legend class="field-group-title">{title}</legend>
      {list.map((item, n) => (
        <div class="repeat-row" key={n}>
          <TextField label={t(itemKey, { n: n + 1 })} type={type} inputMode={type} autocomplete={type === 'tel' ? 'tel' : 'email'} value={item.value} maxLength={320} onValue={(value) => change(n, value)} />
          {list.length > 1 ? (
            <IconButton label={t('cards.remove', { what: t(itemKey, { n: n + 1 }) })} onClick={() => onList(list.filter((_, i) => i !== n))}><CloseIcon /></IconButton>
          ) : null}
        </div>
      ))}
      {list.length < 20 ? <Button variant="ghost" onClick={() => onList([...list, { value: '', type: 'work' }])}>{t(addKey)}</Button> : null}
    </fieldset>
  );
}
