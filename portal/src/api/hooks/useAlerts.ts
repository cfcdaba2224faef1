import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
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
