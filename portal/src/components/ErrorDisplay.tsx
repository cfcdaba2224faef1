import { ApiError, NetworkError } from "../api/errors";

interface ErrorDisplayProps {
  error: unknown;
  /** Offered as a `Retry` button when the request never got an answer. */
  onRetry?: () => void;
  /**
   * Fields the surrounding form shows next to their inputs (FormField). Field errors for any
   * other field are listed here, so none is lost.
   */
  placedFields?: readonly string[];
}

const placed = (field: string, fields: readonly string[]) =>
  fields.some((name) => field === name || field.startsWith(`${name}.`));

/**
 * How every error reaches the person: an element with role `alert` holding the API's own words
 * (problem+json `detail`), or the network-failure message with a `Retry` button.
 */
export function ErrorDisplay({ error, onRetry, placedFields = [] }: ErrorDisplayProps) {
  if (error === null || error === undefined) return null;
  if (error instanceof NetworkError) {
    return (
      <div role="alert" className="error-display">
        <p>{error.message}</p>
        {onRetry && (
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        )}
      </div>
    );
  }
  if (error instanceof ApiError) {
    const others = (error.problem.errors ?? []).filter((fieldError) => !placed(fieldError.field, placedFields));
    return (
      <div role="alert" className="error-display">
        <p>{error.problem.detail || error.problem.title}</p>
        {others.length > 0 && (
          <ul>
            {others.map((fieldError) => (
              <li key={`${fieldError.field}:${fieldError.message}`}>
                <code>{fieldError.field}</code>: {fieldError.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div role="alert" className="error-display">
      <p>Something went wrong: {error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}
