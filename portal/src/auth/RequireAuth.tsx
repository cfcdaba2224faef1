import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useMe } from "../api/hooks/useMe";
import { QueryState } from "../components/QueryState";
import { useSession } from "./session";
import { UserContext } from "./user-context";

export interface ReturnState {
  /** Where the visitor was going: the sign-in page sends them back there. */
  from?: string;
}

/** Signed-in pages only: a visitor without a (valid) token lands on /login and comes back. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useSession();
  const location = useLocation();
  const me = useMe();
  if (!token) {
    const from = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to="/login" replace state={{ from } satisfies ReturnState} />;
  }
  return (
    <QueryState query={me} what="your account">
      {(user) => <UserContext.Provider value={user}>{children}</UserContext.Provider>}
    </QueryState>
  );
}
