import type { Role, Service, User } from "../api/types";

const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2 };

/**
 * Whether to SHOW a control: the user's role is at least `minimum` (viewer < developer < admin).
 * The API still decides; a 403 it sends is shown like any other error.
 */
export function hasRole(user: Pick<User, "role"> | null | undefined, minimum: Role): boolean {
  return !!user && RANK[user.role] >= RANK[minimum];
}

/** The owner rule of api.md: the service's owner, or any admin. */
export function canManageService(user: Pick<User, "role" | "id"> | null | undefined, service: Pick<Service, "owner_id">) {
  return !!user && (user.role === "admin" || (user.role !== "viewer" && service.owner_id === user.id));
}
