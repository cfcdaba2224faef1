import { useMemo } from "react";
import { Link } from "react-router";
import { useUrlFilters } from "../hooks/useUrlFilters";
import { useDeploymentList, type DeploymentFilters } from "../api/hooks/useDeployments";
import { useServices } from "../api/hooks/useServices";
import { DEPLOYMENT_STATUSES, ENVIRONMENTS, type DeploymentStatus, type Environment } from "../api/types";
import { StatusText, Time } from "../deployments/DeploymentParts";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { LoadMore } from "../components/LoadMore";
import { Page } from "../components/Page";
import { Loading } from "../components/QueryState";
import { Options } from "../components/Options";

const oneOf = <T extends string>(value: string | null, allowed: readonly T[]): T | undefined =>
  allowed.find((candidate) => candidate === value);

/**
 * Every deployment, newest first, filtered by the server (`status`, `environment`, `service_id`).
 * The filters live in the URL, so a filtered view survives a reload and can be shared. Service
 * names come from the whole catalog (one cached query), never a call per row.
 */
export default function DeploymentsPage() {
  const [params, setParam] = useUrlFilters();
  const filters: DeploymentFilters = {
    status: oneOf<DeploymentStatus>(params.get("status"), DEPLOYMENT_STATUSES),
    environment: oneOf<Environment>(params.get("environment"), ENVIRONMENTS),
    service_id: params.get("service_id") || undefined,
  };
  const deployments = useDeploymentList(filters);
  const services = useServices();
  const sortedServices = useMemo(
    () => [...(services.data ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    [services.data],
  );
  const nameOf = useMemo(() => new Map((services.data ?? []).map((service) => [service.id, service.name])), [services.data]);

  const setFilter = (name: keyof DeploymentFilters, value: string) => setParam(name, value);

  const rows = deployments.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Page title="Deployments">
      <form className="filters" aria-label="Filter deployments" onSubmit={(event) => event.preventDefault()}>
        <FormField label="Status" name="status">
          {(control) => (
            <select {...control} value={filters.status ?? ""} onChange={(event) => setFilter("status", event.target.value)}>
              <option value="">All statuses</option>
              <Options values={DEPLOYMENT_STATUSES} />
            </select>
          )}
        </FormField>
        <FormField label="Environment" name="environment">
          {(control) => (
            <select
              {...control}
              value={filters.environment ?? ""}
              onChange={(event) => setFilter("environment", event.target.value)}
            >
              <option value="">All environments</option>
              <Options values={ENVIRONMENTS} />
            </select>
          )}
        </FormField>
        <FormField label="Service" name="service_id">
          {(control) => (
            <select
              {...control}
              value={filters.service_id ?? ""}
              onChange={(event) => setFilter("service_id", event.target.value)}
            >
              <option value="">All services</option>
              {/* A service picked by a link but not in the catalog (deleted) still shows as chosen. */}
              {filters.service_id && !nameOf.has(filters.service_id) && (
                <option value={filters.service_id}>{services.isPending ? "Loading…" : "Unknown service"}</option>
              )}
              {sortedServices.map((service) => (
                <option key={service.id} value={service.id}>
                  {service.name}
                </option>
              ))}
            </select>
          )}
        </FormField>
      </form>
      {services.isError && <ErrorDisplay error={services.error} onRetry={() => void services.refetch()} />}
      {deployments.isPending ? (
        <Loading what="the deployments" />
      ) : deployments.isError ? (
        <ErrorDisplay error={deployments.error} onRetry={() => void deployments.refetch()} />
      ) : rows.length ? (
        <>
          <table>
            <caption className="visually-hidden">Deployments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Version</th>
                <th scope="col">Environment</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((deployment) => (
                <tr key={deployment.id}>
                  <td>
                    <Link to={`/services/${deployment.service_id}`}>
                      {nameOf.get(deployment.service_id) ?? (services.isPending ? "…" : "a deleted service")}
                    </Link>
                  </td>
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
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore query={deployments} />
        </>
      ) : (
        <p>No deployments match.</p>
      )}
    </Page>
  );
}
