import type { ReactNode } from "react";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { Page } from "./Page";

/** A page only admins may use: anyone else who opens its URL is told so (the API would refuse). */
export function AdminsOnly({ title, children }: { title: string; children: ReactNode }) {
  const user = useUser();
  if (hasRole(user, "admin")) return <>{children}</>;
  return (
    <Page title={title}>
      <p role="alert" className="notice">
        {title} is for admins only. You are signed in as a {user.role}; ask an admin if you need something here.
      </p>
    </Page>
  );
}
