import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { contactConflicts, contactQuery, contactVcard, deleteContact } from '../../data/contacts';
import { activeProfile } from '../../data/profiles';
import { useQuery } from '../../data/query';
import type { ContactValue } from '../../data/types';
import { formatDate, t, type MessageKey } from '../../i18n';
import { Avatar, Button, ConfirmSheet, ErrorBox, LinkButton, List, ListRow, Loading, Screen, toast } from '../../ui';
import { ContactConflict } from './ContactConflict';
import { paths } from './routes';
import { saveBlob, vcfName } from './save';
import './contacts.css';

function typeName(value: ContactValue): string | undefined {
  if (!value.type) return undefined;
  const key = `contacts.type.${value.type}` as MessageKey;
  const shown = t(key);
  return shown === key ? value.type : shown;
}

/** One contact: how to reach them (call, mail, web, map), edit, save as vCard, delete. */
export default function ContactScreen(): JSX.Element {
  const { id } = useRoute().params as { id: string };
  const { route } = useLocation();
  const me = activeProfile.value;
  const q = useQuery(me ? contactQuery(me.id, id) : null);
  const contact = q?.data.value;
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);

  if (!me || !q || (!contact && !q.error.value)) {
    return <Screen title={t('contacts.title')} back={paths.home}><Loading label={t('common.loading')} /></Screen>;
  }
  if (!contact) {
    return (
      <Screen title={t('contacts.title')} back={paths.home}>
        <ErrorBox message={errorMessage(q.error.value, 'contacts')} onRetry={() => void q.reload()} retryLabel={t('common.retry')} />
      </Screen>
    );
  }

  async function remove(): Promise<void> {
    if (!me || !contact) return;
    setBusy(true);
    try {
      await deleteContact(me.id, contact.id, contact.version);
      toast(t('contacts.deleted', { name: contact.name }), 'success');
      route(paths.home, true);
    } catch (error) {
      setBusy(false);
      setConfirm(false);
      toast(errorMessage(error, 'contacts'), 'error');
      if (q) void q.reload();
    }
  }

  async function vcard(): Promise<void> {
    if (!me || !contact) return;
    try {
      saveBlob(await contactVcard(me.id, contact.id), vcfName(contact.name));
    } catch (error) {
      toast(errorMessage(error, 'contacts'), 'error');
    }
  }

  const conflict = contactConflicts.value.get(contact.id);
  const map = contact.address ? `https://www.openstreetmap.org/search?query=${encodeURIComponent(contact.address)}` : null;
  return (
    <Screen title={contact.name} back={paths.home} actions={<LinkButton href={paths.edit(contact.id)} variant="ghost">{t('common.edit')}</LinkButton>}>
      {conflict ? <ContactConflict id={contact.id} conflict={conflict} /> : null}
      <div class="contact-head">
        <Avatar name={contact.name} src={contact.image_url} size={96} />
        <h2 class="contact-name">{contact.name}</h2>
        {contact.organization || contact.title ? <p class="muted contact-org">{[contact.title, contact.organization].filter(Boolean).join(' · ')}</p> : null}
      </div>
      {contact.phones.length ? (
        <List heading={t('contacts.phones')}>
          {contact.phones.map((phone) => (
            <ListRow key={phone.value} title={phone.value} subtitle={typeName(phone)} href={`tel:${phone.value}`} chevron={false} />
          ))}
        </List>
      ) : null}
      {contact.emails.length ? (
        <List heading={t('contacts.emails')}>
          {contact.emails.map((mail) => (
            <ListRow key={mail.value} title={mail.value} subtitle={typeName(mail)} href={`mailto:${mail.value}`} chevron={false} />
          ))}
        </List>
      ) : null}
      {contact.urls.length ? (
        <List heading={t('contacts.urls')}>
          {contact.urls.map((url) => (
            <li key={url} class="row-item"><a class="row row-action" href={/^https?:\/\//i.test(url) ? url : `https://${url}`} target="_blank" rel="noopener noreferrer"><span class="row-text"><span class="row-title">{url}</span></span></a></li>
          ))}
        </List>
      ) : null}
      {contact.address && map ? (
        <List heading={t('contacts.address')}>
          <li class="row-item"><a class="row row-action" href={map} target="_blank" rel="noopener noreferrer" aria-label={t('contacts.map', { value: contact.address })}><span class="row-text"><span class="row-title wrap">{contact.address}</span></span></a></li>
        </List>
      ) : null}
      {contact.note ? (
        <section class="list-section">
          <h2 class="list-heading">{t('contacts.note')}</h2>
          <p class="note-text">{contact.note}</p>
        </section>
      ) : null}
      <p class="muted small">{t('contacts.updated', { when: formatDate(contact.updated_at) })}</p>
      <div class="stack">
        <Button variant="secondary" block onClick={() => void vcard()}>{t('contacts.saveVcard')}</Button>
        <Button variant="danger" block onClick={() => setConfirm(true)}>{t('common.delete')}</Button>
      </div>
      <ConfirmSheet
        open={confirm}
        title={t('contacts.deleteTitle')}
        message={t('contacts.deleteBody', { name: contact.name })}
        confirmLabel={t('common.delete')}
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onClose={() => setConfirm(false)}
      />
    </Screen>
  );
}
