import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
import { MAX_PAGE, type CreateFlagBody, type Environment, type Flag, type UpdateFlagBody } from "../types";

export const flagsKey = ["flags"] as const;
export const allFlagsKey = [...flagsKey, "all"] as const;
export const flagKey = (key: string) => [...flagsKey, "one", key] as const;

/** Every flag: all pages of GET /flags (searched in the browser). */
export function useFlags() {
  return useQuery({
    queryKey: allFlagsKey,
    queryFn: () =>
      readAllPages((cursor) => unwrap(api.GET("/flags", { params: { query: { limit: MAX_PAGE, cursor } } }))),
    staleTime: 30_000,
  });
}

const readFlag = (key: string) => unwrap(api.GET("/flags/{key}", { params: { path: { key } } }));

/** One flag (GET /flags/{key}); 404 → isNotFound. */
export function useFlag(key: string) {
  return useQuery({ queryKey: flagKey(key), queryFn: () => readFlag(key) });
}

/** Read the flag afresh, now (after a stale-version 409: what is saved meanwhile?). */
export function useReadLatestFlag(key: string) {
  const queryClient = useQueryClient();
  return () => queryClient.fetchQuery({ queryKey: flagKey(key), queryFn: () => readFlag(key), staleTime: 0 });
}

function useRefreshFlags() {
  const queryClient = useQueryClient();
  return (flag?: Flag) => {
    if (flag) queryClient.setQueryData(flagKey(flag.key), flag);
    return queryClient.invalidateQueries({ queryKey: allFlagsKey });
  };
}

export function useCreateFlag() {
  const refresh = useRefreshFlags();
  return useMutation({
    mutationFn: (body: CreateFlagBody) => unwrap(api.POST("/flags", { body })),
    onSuccess: (flag) => refresh(flag),
  });
}

/** PATCH /flags/{key}: only the changed fields (null = unchanged) and the `version` read. */
export function useUpdateFlag(key: string) {
  const refresh = useRefreshFlags();
  return useMutation({
    mutationFn: (change: Partial<UpdateFlagBody>) => {
      const body: UpdateFlagBody = {
        description: null, enabled: null, environments: null, rollout_percentage: null, version: null, ...change,
      };
      return unwrap(api.PATCH("/flags/{key}", { params: { path: { key } }, body }));
    },
    onSuccess: (flag) => refresh(flag),
  });
}

export function useDeleteFlag(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/flags/{key}", { params: { path: { key } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: flagKey(key) });
      return queryClient.invalidateQueries({ queryKey: allFlagsKey });
    },
  });
}

/** GET /flags/{key}/evaluate: the API decides (its bucketing is never copied here). */
export function useEvaluateFlag(key: string) {
  return useMutation({
    mutationFn: (query: { user_id: string; environment: Environment }) =>
      unwrap(api.GET("/flags/{key}/evaluate", { params: { path: { key }, query } })),
  });
}
