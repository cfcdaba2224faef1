import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
import { MAX_PAGE, type CreateUserBody, type UpdateUserBody } from "../types";

export const usersKey = ["users"] as const;

/** Every user (GET /users, admins). */
export function useUsers(enabled = true) {
  return useQuery({
    queryKey: usersKey,
    queryFn: () =>
      readAllPages((cursor) => unwrap(api.GET("/users", { params: { query: { limit: MAX_PAGE, cursor } } }))),
    enabled,
  });
}

function useRefreshUsers() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: ["people"] });
    return queryClient.invalidateQueries({ queryKey: usersKey });
  };
}

export function useCreateUser() {
  const refresh = useRefreshUsers();
  return useMutation({
    mutationFn: (body: CreateUserBody) => unwrap(api.POST("/users", { body })),
    onSuccess: refresh,
  });
}

/** PATCH /users/{id}: only the changed fields (null = unchanged), with the `version` read. */
export function useUpdateUser() {
  const refresh = useRefreshUsers();
  return useMutation({
    mutationFn: ({ id, ...change }: Partial<UpdateUserBody> & { id: string }) => {
      const body: UpdateUserBody = { name: null, role: null, disabled: null, version: null, ...change };
      return unwrap(api.PATCH("/users/{user_id}", { params: { path: { user_id: id } }, body }));
    },
    onSuccess: refresh,
  });
}

export function useDeleteUser() {
  const refresh = useRefreshUsers();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/users/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: refresh,
  });
}
