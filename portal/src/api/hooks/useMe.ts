import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { startSession, useSession } from "../../auth/session";

export const meKey = ["me"] as const;

/** The signed-in user (GET /auth/me); only asked while there is a token. */
export function useMe() {
  const { token } = useSession();
  return useQuery({
    queryKey: [...meKey, token],
    queryFn: () => unwrap(api.GET("/auth/me")),
    enabled: token !== null,
    staleTime: 5 * 60_000,
  });
}

/** POST /auth/login, then GET /auth/me with the new token. */
export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: { email: string; password: string }) => {
      const token = await unwrap(api.POST("/auth/login", { body: credentials }));
      // A new session starts from an empty cache: nothing read with an earlier token is shown.
      queryClient.clear();
      startSession(token.access_token);
      return queryClient.fetchQuery({
        queryKey: [...meKey, token.access_token],
        queryFn: () => unwrap(api.GET("/auth/me")),
      });
    },
  });
}

/** POST /auth/password (204). */
export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      unwrap(api.POST("/auth/password", { body })),
  });
}
