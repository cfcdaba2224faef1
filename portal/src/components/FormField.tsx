import { useId, type ReactNode } from "react";
import { ApiError } from "../api/errors";

/** What a FormField hands its control: spread it onto the <input>, <select> or <textarea>. */
export interface ControlProps {
  id: string;
  name: string;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

interface FormFieldProps {
  label: string;
  /** The API's field name, as problem+json `errors[].field` names it (e.g. `repository_url`). */
  name: string;
  /** The form's last error: this field's messages from it appear right under the control. */
  error?: unknown;
  hint?: string;
  children: (control: ControlProps) => ReactNode;
}

/**
 * A labelled form control with the API's messages for its field next to it. The control is
 * rendered by the caller: `<FormField label="Name" name="name" error={mutation.error}>{(p) => <input {...p} />}</FormField>`.
 */
export function FormField({ label, name, error, hint, children }: FormFieldProps) {
  const id = useId();
  const messages = error instanceof ApiError ? error.fieldMessages(name) : [];
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = messages.length ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={messages.length ? "field field-invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        ...(messages.length ? { "aria-invalid": true as const } : {}),
        ...(describedBy ? { "aria-describedby": describedBy } : {}),
      })}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
      {errorId && (
        <p id={errorId} className="field-error">
          {messages.join(" ")}
        </p>
      )}
    </div>
  );
}
