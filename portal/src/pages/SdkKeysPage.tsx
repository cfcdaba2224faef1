import { useRef, useState, type FormEvent } from "react";
import { usePeople } from "../api/hooks/usePeople";
import { useCreateSdkKey, useRevokeSdkKey, useSdkKeys } from "../api/hooks/useSdkKeys";
import { ENVIRONMENTS, type Environment, type NewSdkKey, type SdkKey } from "../api/types";
import { AdminsOnly } from "../components/AdminsOnly";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Page } from "../components/Page";
import { QueryState } from "../components/QueryState";
import { Time } from "../deployments/DeploymentParts";
import { Options } from "../components/Options";
import { FormActions } from "../components/FormActions";

export default function SdkKeysPage() {
  return (
    <AdminsOnly title="SDK keys">
      <SdkKeys />
    </AdminsOnly>
  );
}

function SdkKeys() {
  const keys = useSdkKeys();
  const [creating, setCreating] = useState(false);
  // The secret lives in this component's state only: never cached, gone after a reload.
  const [created, setCreated] = useState<NewSdkKey | null>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  return (
    <Page
      title="SDK keys"
      actions={
        !creating && (
          <button ref={newButton} type="button" onClick={() => { setCreated(null); setCreating(true); }}>
            New SDK key
          </button>
        )
      }
    >
      <p>An SDK key lets one application evaluate flags in one environment, and nothing else.</p>
      {creating && (
        <NewKeyForm
          onCreated={(key) => {
            setCreated(key);
            setCreating(false);
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {created && <CreatedKey sdkKey={created} onDone={() => setCreated(null)} />}
      <QueryState query={keys} what="the SDK keys">
        {(all) => <KeyTable keys={all} />}
      </QueryState>
    </Page>
  );
}

function NewKeyForm({ onCreated, onCancel }: { onCreated: (key: NewSdkKey) => void; onCancel: () => void }) {
  const create = useCreateSdkKey();
  const [name, setName] = useState("");
  const [environment, setEnvironment] = useState<Environment>("production");
  const send = () => create.mutate({ name, environment }, { onSuccess: onCreated });
  function submit(event: FormEvent) {
    event.preventDefault();
    send();
  }
  return (
    <section aria-labelledby="new-key-heading" className="panel">
      <h2 id="new-key-heading">New SDK key</h2>
      <form onSubmit={submit} noValidate aria-label="New SDK key">
        <ErrorDisplay error={create.error} onRetry={send} placedFields={["name", "environment"]} />
        <FormField label="Name" name="name" error={create.error} hint="What uses it, e.g. checkout web app.">
          {(control) => <input {...control} value={name} onChange={(event) => setName(event.target.value)} />}
        </FormField>
        <FormField label="Environment" name="environment" error={create.error}>
          {(control) => (
            <select {...control} value={environment} onChange={(event) => setEnvironment(event.target.value as Environment)}>
              <Options values={ENVIRONMENTS} />
            </select>
          )}
        </FormField>
        <FormActions submit="Create key" pending={create.isPending} onCancel={onCancel} />
      </form>
    </section>
  );
}

/** How an application uses the key: the OpenFeature OFREP provider, pointed at this platform. */
export function ofrepSnippet(secret: string) {
  return `# pip install openfeature-sdk openfeature-provider-ofrep
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext

api.set_provider(OFREPProvider(
    base_url="${window.location.origin}/api",  # the provider calls /ofrep/v1/evaluate/flags/{key}
    headers_factory=lambda: {"X-API-Key": "${secret}"},
))
client = api.get_client()
enabled = client.get_boolean_value("my-flag", False, EvaluationContext(targeting_key="user-42"))`;
}

function CreatedKey({ sdkKey, onDone }: { sdkKey: NewSdkKey; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(sdkKey.key);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("The browser refused the clipboard: select the key and copy it by hand.");
    }
  }
  return (
    <section aria-labelledby="created-key-heading" className="panel success">
      <h2 id="created-key-heading">Key “{sdkKey.name}” for {sdkKey.environment}</h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> The platform keeps only a hash of it.
      </p>
      <p className="secret">
        <span className="visually-hidden">The new key: </span>
        <code className="new-secret">{sdkKey.key}</code>{" "}
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </p>
      <p role="status">{copied}</p>
      <h3 id="ofrep-snippet-heading">Use it with OpenFeature (OFREP), in Python</h3>
      <pre className="snippet" id="ofrep-snippet">
        <code>{ofrepSnippet(sdkKey.key)}</code>
      </pre>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

function KeyTable({ keys }: { keys: SdkKey[] }) {
  const people = usePeople(keys.map((key) => key.created_by));
  if (keys.length === 0) return <p>No SDK key yet.</p>;
  return (
    <table>
      <caption className="visually-hidden">SDK keys</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Environment</th>
          <th scope="col">Key starts with</th>
          <th scope="col">Created by</th>
          <th scope="col">Created</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <KeyRow key={key.id} sdkKey={key} createdBy={people.nameOf(key.created_by)} />
        ))}
      </tbody>
    </table>
  );
}

function KeyRow({ sdkKey, createdBy }: { sdkKey: SdkKey; createdBy: string }) {
  const revoke = useRevokeSdkKey();
  const [confirming, setConfirming] = useState(false);
  return (
    <tr>
      <th scope="row">{sdkKey.name}</th>
      <td>{sdkKey.environment}</td>
      <td>
        <code>{sdkKey.key_prefix}…</code>
      </td>
      <td>{createdBy}</td>
      <td>
        <Time iso={sdkKey.created_at} />
      </td>
      <td>
        {confirming ? (
          <div className="action-with-error">
            <span>Revoke “{sdkKey.name}”? Applications using it stop getting flags.</span>
            <ErrorDisplay error={revoke.error} />
            <div className="form-actions">
              <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(sdkKey.id)}>
                Revoke key
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button type="button" className="secondary" onClick={() => setConfirming(true)}>
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}
