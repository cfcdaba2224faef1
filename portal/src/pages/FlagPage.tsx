import { useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";
import { ApiError } from "../api/errors";
import { useDeleteFlag, useEvaluateFlag, useFlag, useReadLatestFlag, useUpdateFlag } from "../api/hooks/useFlags";
import { ENVIRONMENTS, type Environment, type Flag } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Page } from "../components/Page";
import { NotFound, QueryState } from "../components/QueryState";
import { Time } from "../deployments/DeploymentParts";
import { EnvironmentChoices, RolloutField } from "../flags/FlagFields";
import { Options } from "../components/Options";

export default function FlagPage() {
  const { flagKey: key = "" } = useParams();
  const flag = useFlag(key);
  return (
    <QueryState
      query={flag}
      what="this flag"
      notFound={
        <Page title="Flag">
          <NotFound what="Flag" back={{ to: "/flags", label: "Back to the flags" }} />
        </Page>
      }
    >
      {(data) => <FlagView key={data.key} flag={data} />}
    </QueryState>
  );
}

function FlagView({ flag }: { flag: Flag }) {
  const user = useUser();
  const canEdit = hasRole(user, "developer");
  const [deleting, setDeleting] = useState(false);
  return (
    <Page
      title={flag.key}
      actions={
        hasRole(user, "admin") &&
        !deleting && (
          <button type="button" className="danger" onClick={() => setDeleting(true)}>
            Delete flag
          </button>
        )
      }
    >
      {deleting && <DeleteFlag flag={flag} onClose={() => setDeleting(false)} />}
      {flag.description && <p>{flag.description}</p>}
      <dl className="facts">
        <dt>Version</dt>
        <dd>{flag.version}</dd>
        <dt>Updated</dt>
        <dd>
          <Time iso={flag.updated_at} />
        </dd>
      </dl>
      <KillSwitch flag={flag} canEdit={canEdit} />
      <FlagSettings flag={flag} canEdit={canEdit} />
      <TryOut flagKey={flag.key} />
    </Page>
  );
}

/**
 * One click, one confirmation, saved at once. It sends only `enabled` (no `version`): in an
 * incident nobody should first have to reload, and no other field can be overwritten by it.
 */
function KillSwitch({ flag, canEdit }: { flag: Flag; canEdit: boolean }) {
  const update = useUpdateFlag(flag.key);
  const [pending, setPending] = useState<boolean | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const shown = pending ?? flag.enabled;
  const confirm = () =>
    update.mutate(
      { enabled: pending },
      {
        onSuccess: (next) => {
          setPending(null);
          setSaved(`Saved: ${next.key} is now ${next.enabled ? "on" : "off"}.`);
        },
      },
    );
  return (
    <section aria-labelledby="kill-switch-heading" className="panel">
      <h2 id="kill-switch-heading">Kill switch</h2>
      <div className="checkbox">
        <input
          id="flag-enabled"
          type="checkbox"
          checked={shown}
          disabled={!canEdit || update.isPending}
          aria-describedby="flag-enabled-state"
          onChange={(event) => {
            setSaved(null);
            update.reset();
            setPending(event.target.checked === flag.enabled ? null : event.target.checked);
          }}
        />
        <label htmlFor="flag-enabled">Enabled</label>
        <span id="flag-enabled-state" className="status">
          {flag.enabled ? "on" : "off"}
        </span>
      </div>
      {pending !== null && (
        <div className="confirm" role="group" aria-labelledby="kill-switch-confirm">
          <p id="kill-switch-confirm">
            {pending ? `Turn ${flag.key} on for everyone it targets?` : `Turn ${flag.key} off everywhere, at once?`}
          </p>
          <ErrorDisplay error={update.error} onRetry={confirm} />
          <div className="form-actions">
            <button type="button" className={pending ? undefined : "danger"} disabled={update.isPending} onClick={confirm}>
              {pending ? "Turn on" : "Turn off"}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setPending(null);
                update.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      <p role="status" className="success-text">
        {saved}
      </p>
    </section>
  );
}

type Settings = Pick<Flag, "description" | "environments" | "rollout_percentage">;
const FIELD_LABELS: Record<keyof Settings | "enabled", string> = {
  description: "Description",
  environments: "Environments",
  rollout_percentage: "Rollout percentage",
  enabled: "Enabled",
};
const settingsOf = (flag: Flag): Settings => ({
  description: flag.description,
  environments: flag.environments,
  rollout_percentage: flag.rollout_percentage,
});
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const showValue = (field: string, value: unknown) =>
  field === "environments" ? ((value as string[]).length ? (value as string[]).join(", ") : "every environment") : String(value);

interface Conflict {
  latest: Flag;
  changes: { field: keyof typeof FIELD_LABELS; from: unknown; to: unknown }[];
}

/** Targeting and rollout, saved with the `version` read; a stale version is a visible conflict. */
function FlagSettings({ flag, canEdit }: { flag: Flag; canEdit: boolean }) {
  const update = useUpdateFlag(flag.key);
  const readLatest = useReadLatestFlag(flag.key);
  // The flag as the form was started from: its version goes with Save.
  const [base, setBase] = useState<Flag>(flag);
  const [draft, setDraft] = useState<Settings>(() => settingsOf(flag));
  const [rollout, setRollout] = useState<number | "">(flag.rollout_percentage);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // The kill switch saved (only `enabled` changed): the form continues from the new version.
  if (flag.version !== base.version && same(settingsOf(flag), settingsOf(base)) && !conflict) setBase(flag);

  const edited = { ...draft, rollout_percentage: rollout };
  const changedFields = (Object.keys(edited) as (keyof Settings)[]).filter((field) => !same(edited[field], base[field]));

  function save(event?: FormEvent) {
    event?.preventDefault();
    setNotice(null);
    const change: Record<string, unknown> = { version: base.version };
    for (const field of changedFields) change[field] = field === "rollout_percentage" && rollout === "" ? null : edited[field];
    update.mutate(change, {
      onSuccess: (saved) => {
        setBase(saved);
        setDraft(settingsOf(saved));
        setRollout(saved.rollout_percentage);
        setConflict(null);
        setNotice(`Saved version ${saved.version}.`);
      },
      onError: async (error) => {
        if (!(error instanceof ApiError) || error.status !== 409) return;
        const latest = await readLatest().catch(() => null);
        if (!latest) return;
        const fields = ["enabled", "description", "environments", "rollout_percentage"] as const;
        setConflict({
          latest,
          changes: fields.filter((field) => !same(base[field], latest[field])).map((field) => ({ field, from: base[field], to: latest[field] })),
        });
      },
    });
  }

  /** Start again from the saved flag, keeping what this person changed on top of it. */
  function reload() {
    if (!conflict) return;
    const { latest } = conflict;
    const next = settingsOf(latest);
    for (const field of changedFields) (next as Record<string, unknown>)[field] = edited[field];
    setBase(latest);
    setDraft(next);
    setRollout(next.rollout_percentage);
    setConflict(null);
    update.reset();
    setNotice(
      changedFields.length
        ? `Reloaded version ${latest.version}. Your changes (${changedFields.map((field) => FIELD_LABELS[field]).join(", ")}) are kept: check them and Save again.`
        : `Reloaded version ${latest.version}.`,
    );
  }

  return (
    <section aria-labelledby="settings-heading">
      <h2 id="settings-heading">Targeting</h2>
      <form onSubmit={save} noValidate aria-label="Flag settings">
        {conflict ? (
          <div role="alert" className="error-display">
            <p>
              Someone else saved this flag first (now version {conflict.latest.version}). Nothing was saved; your changes are still in the
              form.
            </p>
            {conflict.changes.length > 0 && (
              <>
                <p>What changed meanwhile:</p>
                <ul>
                  {conflict.changes.map((change) => (
                    <li key={change.field}>
                      {FIELD_LABELS[change.field]}: {showValue(change.field, change.from)} → {showValue(change.field, change.to)}
                    </li>
                  ))}
                </ul>
              </>
            )}
            <button type="button" onClick={reload}>
              Reload
            </button>
          </div>
        ) : (
          <ErrorDisplay error={update.error} onRetry={() => save()} placedFields={["description", "environments", "rollout_percentage"]} />
        )}
        <fieldset disabled={!canEdit} className="plain-fieldset">
          <FormField label="Description" name="description" error={update.error}>
            {(control) => (
              <input {...control} value={draft.description} onChange={(event) => setDraft({ ...draft, description: event.target.value })} />
            )}
          </FormField>
          <EnvironmentChoices value={draft.environments} onChange={(environments) => setDraft({ ...draft, environments })} error={update.error} />
          <RolloutField value={rollout} onChange={setRollout} error={update.error} />
        </fieldset>
        {canEdit && (
          <div className="form-actions">
            <button type="submit" disabled={update.isPending || changedFields.length === 0}>
              Save
            </button>
            {changedFields.length > 0 && <span className="field-hint">Unsaved changes</span>}
          </div>
        )}
        <p role="status" className="success-text">
          {notice}
        </p>
      </form>
    </section>
  );
}

/** Ask the API how the flag evaluates for one user in one environment. */
function TryOut({ flagKey: key }: { flagKey: string }) {
  const evaluate = useEvaluateFlag(key);
  const [userId, setUserId] = useState("");
  const [environment, setEnvironment] = useState<Environment>("production");
  const send = () => evaluate.mutate({ user_id: userId, environment });
  return (
    <section aria-labelledby="try-out-heading">
      <h2 id="try-out-heading">Try it out</h2>
      <form
        className="filters"
        noValidate
        aria-label="Evaluate the flag"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <FormField label="User ID" name="user_id" error={evaluate.error}>
          {(control) => <input {...control} value={userId} onChange={(event) => setUserId(event.target.value)} />}
        </FormField>
        <FormField label="Environment" name="environment" error={evaluate.error}>
          {(control) => (
            <select {...control} value={environment} onChange={(event) => setEnvironment(event.target.value as Environment)}>
              <Options values={ENVIRONMENTS} />
            </select>
          )}
        </FormField>
        <button type="submit" disabled={evaluate.isPending}>
          Evaluate
        </button>
      </form>
      <ErrorDisplay error={evaluate.error} onRetry={send} placedFields={["user_id", "environment"]} />
      <div role="status" className="evaluation">
        {evaluate.data && (
          <p>
            Result for <code>{evaluate.variables?.user_id}</code> in {evaluate.variables?.environment}:{" "}
            <strong className={`status status-${evaluate.data.enabled ? "success" : "cancelled"}`}>{evaluate.data.enabled ? "on" : "off"}</strong>
            {" — "}
            <span className="reason">{evaluate.data.message}</span>
          </p>
        )}
      </div>
    </section>
  );
}

function DeleteFlag({ flag, onClose }: { flag: Flag; onClose: () => void }) {
  const remove = useDeleteFlag(flag.key);
  const navigate = useNavigate();
  return (
    <section aria-labelledby="delete-heading" className="panel danger-zone">
      <h2 id="delete-heading">Delete {flag.key}?</h2>
      <p>Every client asking for it gets “flag not found” from then on.</p>
      <ErrorDisplay error={remove.error} onRetry={() => remove.mutate()} />
      <div className="form-actions">
        <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => void navigate("/flags") })}>
          Delete
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Keep it
        </button>
      </div>
    </section>
  );
}
