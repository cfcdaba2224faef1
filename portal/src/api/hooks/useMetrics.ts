import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";

/** GET /metrics/summary?days=N: deployments per day by status, success rate, totals. */
export function useMetricsSummary(days: number) {
  return useQuery({
    queryKey: ["metrics", "summary", days],
    queryFn: () => unwrap(api.GET("/metrics/summary", { params: { query: { days } } })),
    staleTime: 60_000,
  });
}
