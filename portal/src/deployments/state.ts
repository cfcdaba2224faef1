/** Reading the deployment state the API gives on a service and a deployment. */
import type { PendingDeploymentFields, PendingServiceFields } from "../api/pending";
import type { Deployment, Environment, Service } from "../api/types";

export interface EnvironmentState {
  active_deployment_id: string | null;
  last_deployment: { id: string; status: string; version: string; finished_at: string | null } | null;
  health: string;
}

/**
 * One environment's own state (api.md: `service.environments`). Without `environments` (an API
 * from before it) the top-level fields are used for the environment they name.
 */
export function environmentState(service: Service, environment: Environment): EnvironmentState {
  const environments = (service as Service & PendingServiceFields).environments;
  if (environments) return environments[environment];
  const last = service.last_deployment?.environment === environment ? service.last_deployment : null;
  return { active_deployment_id: null, last_deployment: last, health: last ? service.health : "unknown" };
}

/** Whether any environment of the service holds an active (PENDING/RUNNING) deployment. */
export function hasActiveDeployment(service: Service | undefined): boolean {
  if (!service) return false;
  const environments = (service as Service & PendingServiceFields).environments;
  if (environments) return Object.values(environments).some((state) => !!state.active_deployment_id);
  return !!service.active_deployment_id;
}

/** The id of the user who cancelled the deployment, else null. */
export const cancelledBy = (deployment: Deployment): string | null =>
  (deployment as Deployment & PendingDeploymentFields).cancelled_by ?? null;
