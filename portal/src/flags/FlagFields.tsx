import { useId } from "react";
import { ENVIRONMENTS, type Environment, type Flag } from "../api/types";
import { ApiError } from "../api/errors";

/** Where a flag is on: enabled, and its environment list empty (every one) or naming it. */
export const isOnIn = (flag: Pick<Flag, "enabled" | "environments">, environment: Environment) =>
  flag.enabled && (flag.environments.length === 0 || flag.environments.includes(environment));

/** The API's order (development, staging, production), whatever order they were ticked in. */
const inOrder = (environments: readonly Environment[]) => ENVIRONMENTS.filter((name) => environments.includes(name));

/** One checkbox per environment; none ticked means every environment (the API's `[]`). */
export function EnvironmentChoices({ value, onChange, error }: {
  value: readonly Environment[];
  onChange: (environments: Environment[]) => void;
  error?: unknown;
}) {
  const id = useId();
  const messages = error instanceof ApiError ? error.fieldMessages("environments") : [];
  return (
    <fieldset className="environment-choices" aria-describedby={`${id}-hint${messages.length ? ` ${id}-error` : ""}`}>
      <legend>Environments</legend>
      {ENVIRONMENTS.map((environment) => (
        <div className="checkbox" key={environment}>
          <input
            id={`${id}-${environment}`}
            type="checkbox"
            checked={value.includes(environment)}
            onChange={(event) =>
              onChange(
                inOrder(event.target.checked ? [...value, environment] : value.filter((name) => name !== environment)),
              )
            }
          />
          <label htmlFor={`${id}-${environment}`}>{environment}</label>
        </div>
      ))}
      <p id={`${id}-hint`} className="field-hint">
        None ticked: the flag applies in every environment.
      </p>
      {messages.length > 0 && (
        <p id={`${id}-error`} className="field-error">
          {messages.join(" ")}
        </p>
      )}
    </fieldset>
  );
}

/**
 * The rollout as a slider plus a number field, both named "Rollout percentage" (one slider, one
 * spinbutton). The number field may be typed freely; the API says what is out of range.
 */
export function RolloutField({ value, onChange, error }: {
  value: number | "";
  onChange: (value: number | "") => void;
  error?: unknown;
}) {
  const id = useId();
  const messages = error instanceof ApiError ? error.fieldMessages("rollout_percentage") : [];
  const errorId = messages.length ? `${id}-error` : undefined;
  return (
    <div className={messages.length ? "field field-invalid" : "field"}>
      <label id={`${id}-label`} htmlFor={`${id}-number`}>
        Rollout percentage
      </label>
      <div className="rollout">
        <input
          type="range"
          min={0}
          max={100}
          step={1}
          aria-labelledby={`${id}-label`}
          value={value === "" ? 0 : value}
          onChange={(event) => onChange(Number(event.target.value))}
        />
        <input
          id={`${id}-number`}
          type="number"
          min={0}
          max={100}
          step={1}
          name="rollout_percentage"
          className="rollout-number"
          value={value}
          aria-invalid={messages.length ? true : undefined}
          aria-describedby={errorId}
          onChange={(event) => onChange(event.target.value === "" ? "" : Number(event.target.value))}
        />
        <span aria-hidden="true">%</span>
      </div>
      {errorId && (
        <p id={errorId} className="field-error">
          {messages.join(" ")}
        </p>
      )}
    </div>
  );
}
