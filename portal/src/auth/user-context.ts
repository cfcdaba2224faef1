import { createContext, useContext } from "react";
import type { User } from "../api/types";

export const UserContext = createContext<User | null>(null);

/** The signed-in user; only inside the signed-in pages (RequireAuth provides it). */
export function useUser(): User {
  const user = useContext(UserContext);
  if (!user) throw new Error("useUser() outside the signed-in pages");
  return user;
}
