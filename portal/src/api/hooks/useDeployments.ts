import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type Query } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, unwrap } from "../client";
import { nextCursor } from "../pages";
import type { Deployment, DeploymentStatus, Environment } from "../types";
import { logsKey } from "./useLogs";
import { servicesKey } from "./useServices";

export const deploymentsKey = ["deployments"] as const;
export const deploymentKey = (id: string) => [...deploymentsKey, "one", id] as const;

/** A deployment the platform is still working on; the others are over and never change again. */
export const isActive = (deployment: Pick<Deployment, "status"> | undefined): boolean =>
  deployment?.status === "PENDING" || deployment?.status === "RUNNING";

/** How often an active deployment is read again (about every 1.5 s, portal.md "updates by itself"). */
export const DEPLOYMENT_POLL_MS = 1_500;

/**
 * One deployment with its steps (GET /deployments/{id}). Read again every 1.5 s only while it is
 * PENDING or RUNNING; once it reads terminal, polling stops for good.
 */
export function useDeployment(id: string | null | undefined) {
  return useQuery({
    queryKey: deploymentKey(id ?? ""),
    queryFn: () => unwrap(api.GET("/deployments/{deployment_id}", { params: { path: { deployment_id: id ?? "" } } })),
    enabled: !!id,
    refetchInterval: (query: Query<Deployment>) => (isActive(query.state.data) ? DEPLOYMENT_POLL_MS : false),
  });
}

export interface DeploymentFilters {
  status?: DeploymentStatus;
  environment?: Environment;
  service_id?: string;
}

/** Every deployment, newest first, filtered by the server (GET /deployments), paged with Load more. */
export function useDeploymentList(filters: DeploymentFilters) {
  return useInfiniteQuery({
    queryKey: [...deploymentsKey, "list", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/deployments", { params: { query: { ...filters, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
}

/**
 * One service's deployments, newest first (GET /services/{id}/deployments), paged with Load more.
 * `pollMs` re-reads the loaded pages while something of the service is moving.
 */
export function useServiceDeployments(serviceId: string, pollMs: number | false = false) {
  return useInfiniteQuery({
    queryKey: [...deploymentsKey, "of-service", serviceId],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/services/{service_id}/deployments", {
          params: { path: { service_id: serviceId }, query: { cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: pollMs,
  });
}

export interface TriggerRequest {
  service_id: string;
  version: string;
  environment: Environment;
  /** Sent as the Idempotency-Key header: the same key for a retry of the same submission. */
  idempotencyKey: string;
}

/** After a deployment started or changed: the lists and the service's board are stale. */
function useRefreshAfter() {
  const queryClient = useQueryClient();
  return (deployment: Deployment) => {
    queryClient.setQueryData(deploymentKey(deployment.id), deployment);
    void queryClient.invalidateQueries({ queryKey: [...deploymentsKey, "list"] });
    void queryClient.invalidateQueries({ queryKey: [...deploymentsKey, "of-service", deployment.service_id] });
    void queryClient.invalidateQueries({ queryKey: servicesKey });
  };
}

/** POST /deployments (202, PENDING), with an Idempotency-Key so a retried submission starts one deployment. */
export function useTriggerDeployment() {
  const refresh = useRefreshAfter();
  return useMutation({
    mutationFn: ({ idempotencyKey, ...body }: TriggerRequest) =>
      unwrap(api.POST("/deployments", { body, params: { header: { "Idempotency-Key": idempotencyKey } } })),
    onSuccess: refresh,
  });
}

/** POST /deployments/{id}/cancel: PENDING/RUNNING → CANCELLED (200 with the deployment). */
export function useCancelDeployment(id: string) {
  const refresh = useRefreshAfter();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/deployments/{deployment_id}/cancel", { params: { path: { deployment_id: id } } })),
    onSuccess: refresh,
  });
}

/** POST /deployments/{id}/rollback: a new deployment (202) of the newest earlier SUCCESS version. */
export function useRollbackDeployment(id: string) {
  const refresh = useRefreshAfter();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/deployments/{deployment_id}/rollback", { params: { path: { deployment_id: id } } })),
    onSuccess: refresh,
  });
}

/**
 * While `active` is true a page polls; when it turns false (the deployment is over) the final
 * state is read once more: the log lines, the deployment lists and the services' boards.
 */
export function useRefreshWhenSettled(active: boolean) {
  const queryClient = useQueryClient();
  const wasActive = useRef(active);
  useEffect(() => {
    if (wasActive.current && !active) {
      void queryClient.invalidateQueries({ queryKey: logsKey });
      void queryClient.invalidateQueries({ queryKey: [...deploymentsKey, "list"] });
      void queryClient.invalidateQueries({ queryKey: [...deploymentsKey, "of-service"] });
      void queryClient.invalidateQueries({ queryKey: servicesKey });
    }
    wasActive.current = active;
  }, [active, queryClient]);
}
