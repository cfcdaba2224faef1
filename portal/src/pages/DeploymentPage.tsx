import { Link, useNavigate, useParams } from "react-router";
import {
  DEPLOYMENT_POLL_MS,
  isActive,
  useCancelDeployment,
  useDeployment,
  useRefreshWhenSettled,
  useRollbackDeployment,
} from "../api/hooks/useDeployments";
import { useDeploymentLogs } from "../api/hooks/useLogs";
import { usePeople } from "../api/hooks/usePeople";
import { useService } from "../api/hooks/useServices";
import type { Deployment } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { LogTable, StatusText, StepList, Time } from "../deployments/DeploymentParts";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { LoadMore } from "../components/LoadMore";
import { Page } from "../components/Page";
import { Loading, NotFound, QueryState } from "../components/QueryState";

export default function DeploymentPage() {
  const { deploymentId = "" } = useParams();
  const deployment = useDeployment(deploymentId);
  return (
    <QueryState
      query={deployment}
      what="this deployment"
      notFound={
        <Page title="Deployment">
          <NotFound what="Deployment" back={{ to: "/deployments", label: "Back to all deployments" }} />
        </Page>
      }
    >
      {(data) => <DeploymentView key={data.id} deployment={data} />}
    </QueryState>
  );
}

function DeploymentView({ deployment }: { deployment: Deployment }) {
  const user = useUser();
  const active = isActive(deployment);
  useRefreshWhenSettled(active);
  const service = useService(deployment.service_id);
  const canOperate = hasRole(user, "developer");
  const cancellerId = deployment.cancelled_by;
  const people = usePeople([deployment.triggered_by, cancellerId]);
  const serviceName = service.data?.name ?? (service.isError ? "Deployment" : "…");

  return (
    <Page
      title={`${serviceName} ${deployment.version}`}
      actions={canOperate && (active ? <CancelButton deployment={deployment} /> : <RollBackButton deployment={deployment} />)}
    >
      <p className="deployment-status">
        Status: <StatusText status={deployment.status} />
      </p>
      {cancellerId && <p className="notice">Cancelled by {people.nameOf(cancellerId)}</p>}
      {deployment.error && (
        <p className="deployment-error">
          <strong>Error:</strong> {deployment.error}
        </p>
      )}
      <dl className="facts">
        <dt>Service</dt>
        <dd>
          <Link to={`/services/${deployment.service_id}`}>{service.data?.name ?? "the service"}</Link>
        </dd>
        <dt>Version</dt>
        <dd>{deployment.version}</dd>
        <dt>Environment</dt>
        <dd>{deployment.environment}</dd>
        <dt>Triggered by</dt>
        <dd>{deployment.triggered_by ? people.nameOf(deployment.triggered_by) : "the platform"}</dd>
        {deployment.rollback_of && (
          <>
            <dt>Rolls back</dt>
            <dd>
              <Link to={`/deployments/${deployment.rollback_of}`}>the deployment it replaced</Link>
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <Time iso={deployment.created_at} />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time iso={deployment.started_at} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time iso={deployment.finished_at} />
        </dd>
      </dl>
      <section aria-labelledby="steps-heading">
        <h2 id="steps-heading">Steps</h2>
        <StepList steps={deployment.steps} />
      </section>
      <DeploymentLogs deployment={deployment} follow={active} />
    </Page>
  );
}

function CancelButton({ deployment }: { deployment: Deployment }) {
  const cancel = useCancelDeployment(deployment.id);
  return (
    <div className="action-with-error">
      <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
        Cancel deployment
      </button>
      <ErrorDisplay error={cancel.error} onRetry={() => cancel.mutate()} />
    </div>
  );
}

function RollBackButton({ deployment }: { deployment: Deployment }) {
  const rollback = useRollbackDeployment(deployment.id);
  const navigate = useNavigate();
  const start = () => rollback.mutate(undefined, { onSuccess: (created) => void navigate(`/deployments/${created.id}`) });
  return (
    <div className="action-with-error">
      <button type="button" disabled={rollback.isPending} onClick={start}>
        Roll back
      </button>
      <ErrorDisplay error={rollback.error} onRetry={start} />
    </div>
  );
}

function DeploymentLogs({ deployment, follow }: { deployment: Deployment; follow: boolean }) {
  const logs = useDeploymentLogs(deployment.id, follow ? DEPLOYMENT_POLL_MS : false);
  const lines = logs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="log-lines-heading">
      <h2 id="log-lines-heading">Log lines</h2>
      {logs.isPending ? (
        <Loading what="the log lines" />
      ) : logs.isError ? (
        <ErrorDisplay error={logs.error} onRetry={() => void logs.refetch()} />
      ) : lines.length ? (
        <>
          <LogTable lines={lines} caption="Log lines of this deployment, oldest first" />
          <LoadMore query={logs} />
        </>
      ) : (
        <p>No log lines yet.</p>
      )}
    </section>
  );
}
