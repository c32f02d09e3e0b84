import type { JSX } from 'preact';
import type { ContactDraft } from '../../data/contacts';
import type { ContactValue } from '../../data/types';
import { t, type MessageKey } from '../../i18n';
import { TextField } from '../../ui';
import './contacts.css';

type Lows = Partial<Record<'name' | 'organization' | 'title' | 'address', boolean>>;

/**
 * The fields of a contact: texts, and phones / emails / web addresses as one field each plus
 * an empty one to add another. `lows` marks fields a scan read with low confidence.
 */
export function ContactForm({ draft, onDraft, errors = {}, lows = {} }: {
  draft: ContactDraft;
  onDraft: (next: ContactDraft) => void;
  errors?: Partial<Record<keyof ContactDraft, string | null>>;
  lows?: Lows;
}): JSX.Element {
  const set = <K extends keyof ContactDraft>(key: K, value: ContactDraft[K]): void => onDraft({ ...draft, [key]: value });
  const check = (key: keyof Lows): string | undefined => (lows[key] ? t('contacts.checkField') : undefined);
  return (
    <div class="form">
      <TextField label={t('contacts.name')} value={draft.name} onValue={(v) => set('name', v)} error={errors.name} hint={check('name')} autocomplete="off" required />
      <TextField label={t('contacts.organization')} value={draft.organization} onValue={(v) => set('organization', v)} hint={check('organization')} autocomplete="off" />
      <TextField label={t('contacts.jobTitle')} value={draft.title} onValue={(v) => set('title', v)} hint={check('title')} autocomplete="off" />
      <Values label="contacts.phone" type="tel" list={draft.phones} onList={(list) => set('phones', list)} error={errors.phones} />
      <Values label="contacts.email" type="email" list={draft.emails} onList={(list) => set('emails', list)} error={errors.emails} />
      <Values
        label="contacts.url"
        type="url"
        list={draft.urls.map((value) => ({ value }))}
        onList={(list) => set('urls', list.map((item) => item.value))}
        error={errors.urls}
      />
      <TextField label={t('contacts.address')} value={draft.address} onValue={(v) => set('address', v)} hint={check('address')} multiline rows={2} />
      <TextField label={t('contacts.note')} value={draft.note} onValue={(v) => set('note', v)} error={errors.note} multiline rows={3} />
    </div>
  );
}

function typeLabel(type: string | null | undefined): string {
  const key = `contacts.type.${type ?? ''}` as MessageKey;
  const shown = type ? t(key) : '';
  return shown === key ? type ?? '' : shown;
}

/** A list of values: one field per entry and one empty field that adds the next. */
function Values({ label, type, list, onList, error }: {
  label: 'contacts.phone' | 'contacts.email' | 'contacts.url';
  type: 'tel' | 'email' | 'url';
  list: ContactValue[];
  onList: (list: ContactValue[]) => void;
  error?: string | null | undefined;
}): JSX.Element {
  const rows = [...list, { value: '' }];
  return (
    <fieldset class="values">
      <legend class="field-label">{t(`${label}s` as MessageKey)}</legend>
      {rows.map((item, index) => {
        const kind = typeLabel(item.type);
        const name = `${t(label)} ${index + 1}${kind ? ` (${kind})` : ''}`;
        return (
          <TextField
            key={index}
            label={index < list.length ? name : t('contacts.addValue', { what: t(label) })}
            type={type}
            inputMode={type}
            autocomplete="off"
            value={item.value}
            error={index === 0 ? error : undefined}
            onValue={(value) => {
              const next = rows.map((row, at) => (at === index ? { ...row, value } : row));
              onList(next.filter((row, at) => at < list.length || row.value !== ''));
            }}
          />
        );
      })}
    </fieldset>
  );
}
