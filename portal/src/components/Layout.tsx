import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, type ReactNode } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useHealth } from "../api/hooks/useHealth";
import { hasRole } from "../auth/roles";
import { endSession } from "../auth/session";
import { useUser } from "../auth/user-context";

const LINKS: { to: string; label: string; admin?: boolean }[] = [
  { to: "/", label: "Dashboard" },
  { to: "/services", label: "Services" },
  { to: "/deployments", label: "Deployments" },
  { to: "/flags", label: "Flags" },
  { to: "/audit", label: "Audit" },
  { to: "/alerts", label: "Alerts" },
  { to: "/users", label: "Users", admin: true },
  { to: "/sdk-keys", label: "SDK keys", admin: true },
];

function HealthBadge() {
  const health = useHealth();
  const status = health.data;
  return (
    <p className={`health health-${status ?? "unknown"}`}>
      Platform health: <strong>{status ?? "checking…"}</strong>
    </p>
  );
}

/** The frame of every signed-in page: header, navigation, main. */
export function Layout({ children }: { children?: ReactNode }) {
  const user = useUser();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a navigation, move focus to the new page (screen readers announce it; keyboard users
  // start there). Not on the first render: the browser's own focus is right then.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  function signOut() {
    endSession();
    queryClient.clear();
    void navigate("/login", { replace: true });
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <p className="brand">Developer Platform</p>
        <nav aria-label="Main">
          <ul>
            {LINKS.filter((link) => !link.admin || hasRole(user, "admin")).map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.to === "/"}>
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="session">
          <HealthBadge />
          <p className="signed-in-as">
            Signed in as <NavLink to="/account">{user.name}</NavLink> <span className="role">({user.role})</span>
          </p>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children ?? <Outlet />}
      </main>
    </div>
  );
}
