import { useQuery } from "@tanstack/react-query";
import { api } from "../client";

export type HealthStatus = "ok" | "degraded";

/**
 * The platform's health (GET /health, public). 503 carries the same body with `degraded`, so it
 * is a value here, not an error; no answer at all counts as degraded too.
 */
export function useHealth() {
  return useQuery({
    queryKey: ["health"],
    queryFn: async (): Promise<HealthStatus> => {
      try {
        const { data, error } = await api.GET("/health");
        const body = (data ?? error) as { status?: string } | undefined;
        return body?.status === "ok" ? "ok" : "degraded";
      } catch {
        return "degraded";
      }
    },
    refetchInterval: 60_000,
  });
}
