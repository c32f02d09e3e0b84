import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { contactQuery, createContact, draftFromContact, draftToInput, emptyDraft, updateContact, type ContactDraft } from '../../data/contacts';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { ApiError } from '../../data/types';
import { t } from '../../i18n';
import { Button, ErrorBox, Loading, Screen, toast } from '../../ui';
import { ContactForm } from './ContactForm';
import { paths } from './routes';

/** Edits a contact (with the version shown: another device's change becomes a conflict the contact's screen shows), or makes one. */
export default function ContactEdit(): JSX.Element {
  const { id } = useRoute().params as { id?: string };
  const { route } = useLocation();
  const me = activeProfile.value;
  const q = useQuery(me && id ? contactQuery(me.id, id) : null);
  const contact = q?.data.value;
  const [draft, setDraft] = useState<ContactDraft | null>(id ? null : emptyDraft());
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);

  useEffect(() => {
    if (contact && draft === null) {
      setDraft(draftFromContact(contact));
      setVersion(contact.version);
    }
  }, [contact, draft]);

  const back = id ? paths.contact(id) : paths.home;
  const title = id ? t('contacts.editTitle') : t('contacts.new');
  if (!me || !draft) {
    return (
      <Screen title={title} back={back}>
        {q?.error.value ? <ErrorBox message={errorMessage(q.error.value, 'contacts')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} /> : <Loading label={t('common.loading')} />}
      </Screen>
    );
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!me || !draft) return;
    const input = draftToInput(draft);
    if (!input.name) {
      setNameError(t('contacts.nameRequired'));
      return;
    }
    setNameError(null);
    setBusy(true);
    setFailure(null);
    try {
      const saved = id && version !== undefined ? await updateContact(me.id, id, input, version) : await createContact(me.id, input);
      toast(t('contacts.saved'), 'success');
      route(paths.contact(saved.id), true);
    } catch (error) {
      if (id && error instanceof ApiError && error.code === 'precondition_failed') {
        // Changed on another device meanwhile: the contact's screen shows both versions.
        route(paths.contact(id), true);
        return;
      }
      setBusy(false);
      setFailure(error instanceof ApiError ? error : new ApiError({ status: 0, code: 'generic' }));
    }
  }

  return (
    <Screen title={title} back={back}>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        {failure ? (
          <div class="form-error" role="alert">
            <p class="no-margin">{errorMessage(failure, 'contacts')}</p>
          </div>
        ) : null}
        <ContactForm draft={draft} onDraft={setDraft} errors={{ name: nameError ?? failure?.fieldMessage('name') ?? null }} />
        <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('common.save')}</Button>
      </form>
    </Screen>
  );
}
