import type { ReactNode } from "react";

/** A form's buttons: its submit (disabled while the request is out) and, when it can be left, Cancel. */
export function FormActions({ submit, pending, onCancel, children }: {
  submit: string;
  pending: boolean;
  onCancel?: () => void;
  children?: ReactNode;
}) {
  return (
    <div className="form-actions">
      <button type="submit" disabled={pending}>
        {submit}
      </button>
      {onCancel && (
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      )}
      {children}
    </div>
  );
}
