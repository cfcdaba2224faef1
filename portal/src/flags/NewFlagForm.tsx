import { useState, type FormEvent } from "react";
import { useCreateFlag } from "../api/hooks/useFlags";
import type { Environment, Flag } from "../api/types";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { EnvironmentChoices, RolloutField } from "./FlagFields";
import { FormActions } from "../components/FormActions";

export function NewFlagForm({ onSaved, onCancel }: { onSaved: (flag: Flag) => void; onCancel: () => void }) {
  const create = useCreateFlag();
  const [key, setKey] = useState("");
  const [description, setDescription] = useState("");
  const [enabled, setEnabled] = useState(false);
  const [environments, setEnvironments] = useState<Environment[]>([]);
  const [rollout, setRollout] = useState<number | "">(100);

  const send = () =>
    create.mutate(
      // An emptied number field is sent as null: the API names the field.
      { key, description, enabled, environments, rollout_percentage: rollout === "" ? (null as unknown as number) : rollout },
      { onSuccess: onSaved },
    );
  function submit(event: FormEvent) {
    event.preventDefault();
    send();
  }

  return (
    <form onSubmit={submit} noValidate aria-label="New flag">
      <ErrorDisplay error={create.error} onRetry={send} placedFields={["key", "description", "environments", "rollout_percentage"]} />
      <FormField label="Key" name="key" error={create.error} hint="Lower case: letters, digits, _ . -">
        {(control) => <input {...control} value={key} onChange={(event) => setKey(event.target.value)} />}
      </FormField>
      <FormField label="Description" name="description" error={create.error}>
        {(control) => <input {...control} value={description} onChange={(event) => setDescription(event.target.value)} />}
      </FormField>
      <div className="checkbox">
        <input id="new-flag-enabled" type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
        <label htmlFor="new-flag-enabled">Enabled</label>
      </div>
      <EnvironmentChoices value={environments} onChange={setEnvironments} error={create.error} />
      <RolloutField value={rollout} onChange={setRollout} error={create.error} />
      <FormActions submit="Create flag" pending={create.isPending} onCancel={onCancel} />
    </form>
  );
}
