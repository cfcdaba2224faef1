import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useRefreshWhenSettled, useServiceDeployments } from "../api/hooks/useDeployments";
import { useServiceLogs } from "../api/hooks/useLogs";
import { usePeople } from "../api/hooks/usePeople";
import { useDeleteService, useService } from "../api/hooks/useServices";
import { ENVIRONMENTS, LOG_LEVELS, type Deployment, type Environment, type LogLevel, type Service } from "../api/types";
import { canManageService, hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { DeployForm } from "../deployments/DeployForm";
import { ServiceForm } from "../services/ServiceForm";
import { LogTable, StatusText, Time } from "../deployments/DeploymentParts";
import { hasActiveDeployment } from "../deployments/state";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { LoadMore } from "../components/LoadMore";
import { Page } from "../components/Page";
import { Loading, NotFound, QueryState } from "../components/QueryState";

/** While a deployment of the service is active, the board, its deployments and logs follow it. */
export const SERVICE_POLL_MS = 2_000;
const followWhileActive = (service: Service | undefined) => (hasActiveDeployment(service) ? SERVICE_POLL_MS : false);

export default function ServicePage() {
  const { serviceId = "" } = useParams();
  const service = useService(serviceId, followWhileActive);
  return (
    <QueryState
      query={service}
      what="this service"
      notFound={
        <Page title="Service">
          <NotFound what="Service" back={{ to: "/services", label: "Back to the catalog" }} />
        </Page>
      }
    >
      {(data) => <ServiceView key={data.id} service={data} reload={() => void service.refetch()} />}
    </QueryState>
  );
}

type Panel = "none" | "deploy" | "edit" | "delete";

function ServiceView({ service, reload }: { service: Service; reload: () => void }) {
  const user = useUser();
  const [panel, setPanel] = useState<Panel>("none");
  // Edit works on the service as it was when the form opened: its `version` is what we read, so
  // a save after someone else's is the API's 409, never a silent overwrite (the page may re-poll).
  const [editing, setEditing] = useState<Service | null>(null);
  const active = hasActiveDeployment(service);
  useRefreshWhenSettled(active);
  const canDeploy = hasRole(user, "developer");
  const canManage = canManageService(user, service);
  const deployments = useServiceDeployments(service.id, active ? SERVICE_POLL_MS : false);
  const close = () => setPanel("none");
  const closeEdit = () => {
    setPanel("none");
    setEditing(null);
    reload(); // after a stale-version refusal, the next Edit starts from the saved state
  };

  return (
    <Page
      title={service.name}
      actions={
        <>
          {canDeploy && (
            <button type="button" aria-expanded={panel === "deploy"} onClick={() => setPanel("deploy")}>
              Deploy
            </button>
          )}
          {canManage && (
            <button
              type="button"
              className="secondary"
              aria-expanded={panel === "edit"}
              onClick={() => {
                setEditing(service);
                setPanel("edit");
              }}
            >
              Edit
            </button>
          )}
          {canManage && panel !== "delete" && (
            <button type="button" className="danger" onClick={() => setPanel("delete")}>
              Delete service
            </button>
          )}
        </>
      }
    >
      {panel === "deploy" && <DeployForm service={service} onClose={close} />}
      {panel === "delete" && <DeleteService service={service} onClose={close} />}
      {panel === "edit" && editing && (
        <div className="panel">
          <h2>Edit {service.name}</h2>
          <ServiceForm service={editing} onSaved={() => setPanel("none")} onCancel={closeEdit} />
        </div>
      )}
      <ServiceFacts service={service} />
      <EnvironmentBoard service={service} deployments={deployments.data?.pages.flatMap((page) => page.items) ?? []} />
      <ServiceDeployments deployments={deployments} />
      <ServiceLogs service={service} follow={active} />
    </Page>
  );
}

function ServiceFacts({ service }: { service: Service }) {
  const user = useUser();
  const people = usePeople([service.owner_id]);
  return (
    <dl className="facts">
      <dt>Description</dt>
      <dd>{service.description || "—"}</dd>
      <dt>Owner</dt>
      {/* Yourself as "you": your own name is already in the header. */}
      <dd>{service.owner_id === user.id ? "You" : people.nameOf(service.owner_id)}</dd>
      <dt>Lifecycle</dt>
      <dd>{service.lifecycle}</dd>
      <dt>Tier</dt>
      <dd>{service.tier ?? "—"}</dd>
      <dt>Tags</dt>
      <dd>
        {service.tags.length
          ? service.tags.map((tag) => (
              <span key={tag} className="tag">
                {tag}
              </span>
            ))
          : "—"}
      </dd>
      <dt>Repository</dt>
      <dd>{service.repository_url ? <a href={service.repository_url}>{service.repository_url}</a> : "—"}</dd>
      <dt>Health</dt>
      <dd>{service.health}</dd>
      <dt>Created</dt>
      <dd>
        <Time iso={service.created_at} />
      </dd>
      <dt>Updated</dt>
      <dd>
        <Time iso={service.updated_at} />
      </dd>
    </dl>
  );
}

/**
 * One region per environment (named by it): active deployment, last deployment, health. The
 * active one's version and status come from the deployments list the page already read.
 */
function EnvironmentBoard({ service, deployments }: { service: Service; deployments: readonly Deployment[] }) {
  return (
    <div className="cards environments">
      {ENVIRONMENTS.map((environment) => (
        <EnvironmentCard key={environment} environment={environment} service={service} deployments={deployments} />
      ))}
    </div>
  );
}

function EnvironmentCard({ service, environment, deployments }: {
  service: Service;
  environment: Environment;
  deployments: readonly Deployment[];
}) {
  const state = service.environments[environment];
  const active = deployments.find((deployment) => deployment.id === state.active_deployment_id);
  const headingId = `environment-${environment}`;
  return (
    <section aria-labelledby={headingId} className="card">
      <h2 id={headingId}>{environment}</h2>
      <dl className="facts">
        <dt>Active deployment</dt>
        <dd>
          {state.active_deployment_id ? (
            active ? (
              <>
                <Link to={`/deployments/${active.id}`}>{active.version}</Link> <StatusText status={active.status} />
              </>
            ) : (
              <Link to={`/deployments/${state.active_deployment_id}`}>In progress</Link>
            )
          ) : (
            "none"
          )}
        </dd>
        <dt>Last deployment</dt>
        <dd>
          {state.last_deployment ? (
            <>
              <Link to={`/deployments/${state.last_deployment.id}`}>{state.last_deployment.version}</Link>{" "}
              <StatusText status={state.last_deployment.status} />
            </>
          ) : (
            "none yet"
          )}
        </dd>
        <dt>Health</dt>
        <dd>{state.health}</dd>
      </dl>
    </section>
  );
}

function ServiceDeployments({ deployments }: { deployments: ReturnType<typeof useServiceDeployments> }) {
  return (
    <section aria-labelledby="deployments-heading">
      <h2 id="deployments-heading">Deployments</h2>
      {deployments.isPending ? (
        <Loading what="the deployments" />
      ) : deployments.isError ? (
        <ErrorDisplay error={deployments.error} onRetry={() => void deployments.refetch()} />
      ) : deployments.data.pages[0]?.items.length ? (
        <>
          <table>
            <caption className="visually-hidden">Deployments of this service, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Environment</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {deployments.data.pages.flatMap((page) =>
                page.items.map((deployment) => (
                  <tr key={deployment.id}>
                    <td>
                      <Link to={`/deployments/${deployment.id}`}>{deployment.version}</Link>
                    </td>
                    <td>{deployment.environment}</td>
                    <td>
                      <StatusText status={deployment.status} />
                    </td>
                    <td>
                      <Time iso={deployment.created_at} />
                    </td>
                    <td>
                      <Time iso={deployment.finished_at} />
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <LoadMore query={deployments} />
        </>
      ) : (
        <p>No deployments yet.</p>
      )}
    </section>
  );
}

/** Option labels in words: the level column shows the API's own DEBUG, INFO, WARN, ERROR. */
const LEVEL_LABELS: Record<LogLevel, string> = { DEBUG: "Debug", INFO: "Info", WARN: "Warning", ERROR: "Error" };

function ServiceLogs({ service, follow }: { service: Service; follow: boolean }) {
  const [level, setLevel] = useState<LogLevel | "">("");
  const logs = useServiceLogs(service.id, level || undefined, follow ? SERVICE_POLL_MS : false);
  const lines = logs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      <div className="filters">
        <FormField label="Level" name="level">
          {(control) => (
            <select {...control} value={level} onChange={(event) => setLevel(event.target.value as LogLevel | "")}>
              <option value="">All levels</option>
              {LOG_LEVELS.map((name) => (
                <option key={name} value={name}>
                  {LEVEL_LABELS[name]}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {follow && <p className="following">Following new lines while a deployment runs.</p>}
      </div>
      {logs.isPending ? (
        <Loading what="the logs" />
      ) : logs.isError ? (
        <ErrorDisplay error={logs.error} onRetry={() => void logs.refetch()} />
      ) : lines.length ? (
        <>
          <LogTable lines={lines} caption={`Log lines of ${service.name}, newest first`} />
          <LoadMore query={logs} />
        </>
      ) : (
        <p>{level ? "No log lines at this level." : "No log lines yet."}</p>
      )}
    </section>
  );
}

function DeleteService({ service, onClose }: { service: Service; onClose: () => void }) {
  const remove = useDeleteService(service.id);
  const navigate = useNavigate();
  return (
    <section aria-labelledby="delete-heading" className="panel danger-zone">
      <h2 id="delete-heading">Delete {service.name}?</h2>
      <p>The service leaves the catalog for everyone. The API refuses while a deployment of it is active.</p>
      <ErrorDisplay error={remove.error} onRetry={() => remove.mutate()} />
      <div className="form-actions">
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() => remove.mutate(undefined, { onSuccess: () => void navigate("/services") })}
        >
          Delete
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Keep it
        </button>
      </div>
    </section>
  );
}
