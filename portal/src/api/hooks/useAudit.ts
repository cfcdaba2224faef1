import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { nextCursor } from "../pages";
import type { AuditAction, AuditResourceType } from "../types";

export const auditKey = ["audit"] as const;

export interface AuditFilters {
  action?: AuditAction;
  resource_type?: AuditResourceType;
  actor_id?: string;
}

/** The audit trail, newest first, filtered by the server (GET /audit), paged with Load more. */
export function useAudit(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: [...auditKey, filters],
    queryFn: ({ pageParam }) => unwrap(api.GET("/audit", { params: { query: { ...filters, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
}
