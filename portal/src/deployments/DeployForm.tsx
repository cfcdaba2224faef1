import { useEffect, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { NetworkError } from "../api/errors";
import { useTriggerDeployment } from "../api/hooks/useDeployments";
import { ENVIRONMENTS, type Environment, type Service } from "../api/types";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Options } from "../components/Options";
import { FormActions } from "../components/FormActions";

/**
 * Deploy a service: textbox Version, combobox Environment (production by default), button Start
 * deployment → POST /deployments, then the new deployment's page. One Idempotency-Key per
 * submission: a retry after no answer sends the same key (the API then starts nothing new), and
 * the button is disabled while the request is out, so a double click starts one deployment.
 */
export function DeployForm({ service, onClose }: { service: Service; onClose: () => void }) {
  const trigger = useTriggerDeployment();
  const navigate = useNavigate();
  const [version, setVersion] = useState("");
  const [environment, setEnvironment] = useState<Environment>("production");
  // The key of the submission in flight, or of the last one left without an answer.
  const attemptKey = useRef<string | null>(null);
  const versionInput = useRef<HTMLInputElement>(null);

  useEffect(() => versionInput.current?.focus(), []);

  function start() {
    if (trigger.isPending) return;
    attemptKey.current ??= crypto.randomUUID();
    trigger.mutate(
      { service_id: service.id, version, environment, idempotencyKey: attemptKey.current },
      {
        onSuccess: (deployment) => void navigate(`/deployments/${deployment.id}`),
        onError: (error) => {
          // The API answered: the submission is settled (a retry is a new one). No answer: the
          // API may still have started it, so a retry must carry the same key.
          if (!(error instanceof NetworkError)) attemptKey.current = null;
        },
      },
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    start();
  }

  // A changed form is a different submission: it gets its own key.
  function edited() {
    attemptKey.current = null;
  }

  return (
    <section aria-labelledby="deploy-heading" className="panel">
      <h2 id="deploy-heading">New deployment of {service.name}</h2>
      <form onSubmit={submit} noValidate>
        <ErrorDisplay error={trigger.error} onRetry={start} placedFields={["version", "environment"]} />
        <FormField label="Version" name="version" error={trigger.error} hint="A tag, a commit or a build number.">
          {(control) => (
            <input
              {...control}
              ref={versionInput}
              type="text"
              autoComplete="off"
              value={version}
              onChange={(event) => {
                setVersion(event.target.value);
                edited();
              }}
            />
          )}
        </FormField>
        <FormField label="Environment" name="environment" error={trigger.error}>
          {(control) => (
            <select
              {...control}
              value={environment}
              onChange={(event) => {
                setEnvironment(event.target.value as Environment);
                edited();
              }}
            >
              <Options values={ENVIRONMENTS} />
            </select>
          )}
        </FormField>
        <FormActions submit="Start deployment" pending={trigger.isPending} onCancel={onClose}>
          {trigger.isPending && (
            <span role="status" className="loading">
              Starting…
            </span>
          )}
        </FormActions>
      </form>
    </section>
  );
}
