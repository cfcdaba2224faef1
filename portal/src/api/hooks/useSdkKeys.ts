import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
import { MAX_PAGE, type Environment } from "../types";

export const sdkKeysKey = ["sdk-keys"] as const;

/** Every SDK key (GET /sdk-keys, admins; never the secret). */
export function useSdkKeys(enabled = true) {
  return useQuery({
    queryKey: sdkKeysKey,
    queryFn: () =>
      readAllPages((cursor) => unwrap(api.GET("/sdk-keys", { params: { query: { limit: MAX_PAGE, cursor } } }))),
    enabled,
  });
}

/** POST /sdk-keys: the answer holds the secret, the only time it is ever sent. */
export function useCreateSdkKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; environment: Environment }) => unwrap(api.POST("/sdk-keys", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sdkKeysKey }),
  });
}

export function useRevokeSdkKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/sdk-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sdkKeysKey }),
  });
}
