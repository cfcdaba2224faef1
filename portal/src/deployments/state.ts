/** Reading the deployment state the API gives on a service. */
import type { Service } from "../api/types";

/** Whether any environment of the service holds an active (PENDING/RUNNING) deployment. */
export const hasActiveDeployment = (service: Service | undefined): boolean =>
  !!service && Object.values(service.environments).some((state) => !!state.active_deployment_id);
