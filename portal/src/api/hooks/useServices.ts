import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
import { MAX_PAGE, type CreateServiceBody, type Service, type UpdateServiceBody } from "../types";

export const servicesKey = ["services"] as const;
export const allServicesKey = [...servicesKey, "all"] as const;
export const serviceKey = (id: string) => [...servicesKey, "one", id] as const;

/** The WHOLE catalog: every page of GET /services (limit 100, following next_cursor). */
export function useServices() {
  return useQuery({
    queryKey: allServicesKey,
    queryFn: () =>
      readAllPages((cursor) => unwrap(api.GET("/services", { params: { query: { limit: MAX_PAGE, cursor } } }))),
    staleTime: 30_000,
  });
}

/**
 * One service (GET /services/{id}); a 404 is an ApiError with status 404 (see isNotFound).
 * `pollMs(service)` re-reads it while that returns a number (e.g. while a deployment is active).
 */
export function useService(id: string, pollMs?: (service: Service | undefined) => number | false) {
  return useQuery({
    queryKey: serviceKey(id),
    queryFn: () => unwrap(api.GET("/services/{service_id}", { params: { path: { service_id: id } } })),
    refetchInterval: pollMs ? (query) => pollMs(query.state.data) : false,
  });
}

function useRefreshServices() {
  const queryClient = useQueryClient();
  return (service?: Service) => {
    if (service) queryClient.setQueryData(serviceKey(service.id), service);
    return queryClient.invalidateQueries({ queryKey: servicesKey });
  };
}

export function useCreateService() {
  const refresh = useRefreshServices();
  return useMutation({
    mutationFn: (body: CreateServiceBody) => unwrap(api.POST("/services", { body })),
    onSuccess: (service) => refresh(service),
  });
}

/** PATCH /services/{id}: send only the changed fields and the `version` read. */
export function useUpdateService(id: string) {
  const refresh = useRefreshServices();
  return useMutation({
    mutationFn: (body: UpdateServiceBody) =>
      unwrap(api.PATCH("/services/{service_id}", { params: { path: { service_id: id } }, body })),
    onSuccess: (service) => refresh(service),
  });
}

export function useDeleteService(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/services/{service_id}", { params: { path: { service_id: id } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: serviceKey(id) });
      return queryClient.invalidateQueries({ queryKey: servicesKey });
    },
  });
}
