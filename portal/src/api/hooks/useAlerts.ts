import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { nextCursor, readAllPages } from "../pages";
import { MAX_PAGE } from "../types";

export const alertsKey = ["alerts"] as const;

/** Every open alert (all pages of GET /alerts?status=open); the dashboard shows their count. */
export function useOpenAlerts() {
  return useQuery({
    queryKey: [...alertsKey, "open", "all"],
    queryFn: () =>
      readAllPages((cursor) =>
        unwrap(api.GET("/alerts", { params: { query: { status: "open", limit: MAX_PAGE, cursor } } })),
      ),
    refetchInterval: 60_000,
  });
}

/** Resolved alerts, newest first, paged with Load more (the open ones come whole, first). */
export function useResolvedAlerts() {
  return useInfiniteQuery({
    queryKey: [...alertsKey, "resolved"],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/alerts", { params: { query: { status: "resolved", cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
}

/** POST /alerts/{id}/ack. */
export function useAcknowledgeAlert() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/alerts/{alert_id}/ack", { params: { path: { alert_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: alertsKey }),
  });
}
