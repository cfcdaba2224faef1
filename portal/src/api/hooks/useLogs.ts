import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { nextCursor } from "../pages";
import type { LogLevel } from "../types";

export const logsKey = ["logs"] as const;
export const serviceLogsKey = (serviceId: string) => [...logsKey, "of-service", serviceId] as const;
export const deploymentLogsKey = (deploymentId: string) => [...logsKey, "of-deployment", deploymentId] as const;

/**
 * A service's log lines, newest first (GET /services/{id}/logs), `level` filtered by the server,
 * paged with Load more. `pollMs` re-reads the loaded pages (new lines arrive on the first one)
 * while a deployment of the service is active.
 */
export function useServiceLogs(serviceId: string, level: LogLevel | undefined, pollMs: number | false = false) {
  return useInfiniteQuery({
    queryKey: [...serviceLogsKey(serviceId), level ?? "all"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/services/{service_id}/logs", {
          params: { path: { service_id: serviceId }, query: { level, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: pollMs,
  });
}

/**
 * One deployment's log lines, oldest first (GET /deployments/{id}/logs), paged with Load more.
 * `pollMs` re-reads them while the deployment is active (new lines arrive on the last page).
 */
export function useDeploymentLogs(deploymentId: string, pollMs: number | false = false) {
  return useInfiniteQuery({
    queryKey: deploymentLogsKey(deploymentId),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/deployments/{deployment_id}/logs", {
          params: { path: { deployment_id: deploymentId }, query: { cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: pollMs,
  });
}
