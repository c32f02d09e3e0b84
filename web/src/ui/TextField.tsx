import type { InputHTMLAttributes, JSX, TextareaHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

type Common = {
  label: string;
  /** Help shown under the field. */
  hint?: string | undefined;
  /** Error shown under the field; marks it invalid. */
  error?: string | null | undefined;
  /** Suffix "(optional)" to the label. */
  optional?: boolean;
  optionalLabel?: string;
  value: string;
  onValue: (value: string) => void;
};

type InputProps = Common & Omit<InputHTMLAttributes, 'value' | 'onInput' | 'class' | 'id' | 'label'> & { multiline?: false };
type AreaProps = Common & Omit<TextareaHTMLAttributes, 'value' | 'onInput' | 'class' | 'id' | 'label'> & { multiline: true };

/** A labelled text field with hint and error wired by `aria-describedby`. */
export function TextField(props: InputProps | AreaProps): JSX.Element {
  const { label, hint, error, optional, optionalLabel, value, onValue, ...rest } = props;
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const field = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described, value, class: 'field-input' };
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label class="field-label" for={id}>
        {label}
        {optional ? <span class="field-optional"> ({optionalLabel ?? 'optional'})</span> : null}
      </label>
      {props.multiline ? (
        <textarea {...(rest as TextareaHTMLAttributes)} {...field} rows={(rest as { rows?: number }).rows ?? 3} onInput={(event) => onValue(event.currentTarget.value)} />
      ) : (
        <input {...(rest as InputHTMLAttributes)} {...field} onInput={(event) => onValue(event.currentTarget.value)} />
      )}
      {hint ? <p class="field-hint" id={`${id}-hint`}>{hint}</p> : null}
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

/** A labelled on/off switch (a checkbox with role="switch"). */
export function Switch({ label, hint, checked, onChange }: { label: string; hint?: string; checked: boolean; onChange: (checked: boolean) => void }): JSX.Element {
  const id = useId();
  return (
    <div class="switch-row">
      <div class="switch-label">
        <label for={id}>{label}</label>
        {hint ? <span class="switch-hint" id={`${id}-hint`}>{hint}</span> : null}
      </div>
      <input id={id} type="checkbox" role="switch" class="switch" checked={checked} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(event) => onChange(event.currentTarget.checked)} />
    </div>
  );
}
