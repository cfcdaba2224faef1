import { useMemo } from "react";
import { useAcknowledgeAlert, useOpenAlerts, useResolvedAlerts } from "../api/hooks/useAlerts";
import { usePeople } from "../api/hooks/usePeople";
import type { Alert } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { LoadMore } from "../components/LoadMore";
import { Page } from "../components/Page";
import { Loading, QueryState } from "../components/QueryState";
import { Time } from "../deployments/DeploymentParts";

export default function AlertsPage() {
  const open = useOpenAlerts();
  const resolved = useResolvedAlerts();
  const resolvedItems = useMemo(() => resolved.data?.pages.flatMap((page) => page.items) ?? [], [resolved.data]);
  const people = usePeople(useMemo(() => [...(open.data ?? []), ...resolvedItems].map((alert) => alert.acked_by), [open.data, resolvedItems]));
  return (
    <Page title="Alerts">
      <section aria-labelledby="open-heading">
        <h2 id="open-heading">Open</h2>
        <QueryState query={open} what="the open alerts">
          {(alerts) => (alerts.length ? <AlertTable alerts={alerts} nameOf={people.nameOf} caption="Open alerts" /> : <p>No open alert.</p>)}
        </QueryState>
      </section>
      <section aria-labelledby="resolved-heading">
        <h2 id="resolved-heading">Resolved</h2>
        {resolved.isPending ? (
          <Loading what="the resolved alerts" />
        ) : resolved.isError ? (
          <ErrorDisplay error={resolved.error} onRetry={() => void resolved.refetch()} />
        ) : resolvedItems.length ? (
          <>
            <AlertTable alerts={resolvedItems} nameOf={people.nameOf} caption="Resolved alerts, newest first" />
            <LoadMore query={resolved} />
          </>
        ) : (
          <p>No resolved alert.</p>
        )}
      </section>
    </Page>
  );
}

function AlertTable({ alerts, nameOf, caption }: { alerts: Alert[]; nameOf: (id: string | null) => string; caption: string }) {
  return (
    <table>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Message</th>
          <th scope="col">Opened</th>
          <th scope="col">Acknowledged</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((alert) => (
          <AlertRow key={alert.id} alert={alert} ackedBy={alert.acked_by ? nameOf(alert.acked_by) : null} />
        ))}
      </tbody>
    </table>
  );
}

function AlertRow({ alert, ackedBy }: { alert: Alert; ackedBy: string | null }) {
  const user = useUser();
  const ack = useAcknowledgeAlert();
  return (
    <tr>
      <td className={`severity-${alert.severity}`}>{alert.severity}</td>
      <th scope="row">{alert.message}</th>
      <td>
        <Time iso={alert.opened_at} />
      </td>
      <td>
        {ackedBy ? (
          <>
            by {ackedBy} <Time iso={alert.acked_at} />
          </>
        ) : alert.status === "open" && hasRole(user, "developer") ? (
          <div className="action-with-error">
            <button type="button" disabled={ack.isPending} onClick={() => ack.mutate(alert.id)}>
              Acknowledge
            </button>
            <ErrorDisplay error={ack.error} />
          </div>
        ) : (
          "not yet"
        )}
      </td>
    </tr>
  );
}
