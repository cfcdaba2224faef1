/**
 * The portal's URLs (portal.md). Each page is its own file in src/pages and its own lazily loaded
 * chunk, so a first visit loads only the page it opens. Signed-in pages sit inside RequireAuth
 * (token and user, else /login and back) and Layout (navigation, user, health, sign-out).
 */
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import { createBrowserRouter, createMemoryRouter, RouterProvider, type RouteObject } from "react-router";
import { RequireAuth } from "./auth/RequireAuth";
import { useSession } from "./auth/session";
import { Layout } from "./components/Layout";
import { Loading } from "./components/QueryState";

const LoginPage = lazy(() => import("./pages/LoginPage"));
const NotFoundPage = lazy(() => import("./pages/NotFoundPage"));
const DashboardPage = lazy(() => import("./pages/DashboardPage"));
const ServicesPage = lazy(() => import("./pages/ServicesPage"));
const ServicePage = lazy(() => import("./pages/ServicePage"));
const DeploymentsPage = lazy(() => import("./pages/DeploymentsPage"));
const DeploymentPage = lazy(() => import("./pages/DeploymentPage"));
const FlagsPage = lazy(() => import("./pages/FlagsPage"));
const FlagPage = lazy(() => import("./pages/FlagPage"));
const AuditPage = lazy(() => import("./pages/AuditPage"));
const AlertsPage = lazy(() => import("./pages/AlertsPage"));
const UsersPage = lazy(() => import("./pages/UsersPage"));
const SdkKeysPage = lazy(() => import("./pages/SdkKeysPage"));
const AccountPage = lazy(() => import("./pages/AccountPage"));

function show(Page: LazyExoticComponent<ComponentType>) {
  return (
    <Suspense fallback={<Loading what="the page" />}>
      <Page />
    </Suspense>
  );
}

/** An unknown URL: inside the frame when signed in, bare otherwise (no sign-in needed to learn it is unknown). */
function UnknownUrl() {
  const { token } = useSession();
  if (!token) return <main id="main">{show(NotFoundPage)}</main>;
  return (
    <RequireAuth>
      <Layout>{show(NotFoundPage)}</Layout>
    </RequireAuth>
  );
}

export const routes: RouteObject[] = [
  { path: "/login", element: show(LoginPage) },
  {
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: show(DashboardPage) },
      { path: "services", element: show(ServicesPage) },
      { path: "services/:serviceId", element: show(ServicePage) },
      { path: "deployments", element: show(DeploymentsPage) },
      { path: "deployments/:deploymentId", element: show(DeploymentPage) },
      { path: "flags", element: show(FlagsPage) },
      { path: "flags/:flagKey", element: show(FlagPage) },
      { path: "audit", element: show(AuditPage) },
      { path: "alerts", element: show(AlertsPage) },
      { path: "users", element: show(UsersPage) },
      { path: "sdk-keys", element: show(SdkKeysPage) },
      { path: "account", element: show(AccountPage) },
    ],
  },
  { path: "*", element: <UnknownUrl /> },
];

type Router = ReturnType<typeof createBrowserRouter>;

export function App({ queryClient, router }: { queryClient: QueryClient; router: Router }) {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}

export const browserRouter = (): Router => createBrowserRouter(routes);
/** For tests: the app opened at one URL. */
export const memoryRouter = (url: string): Router => createMemoryRouter(routes, { initialEntries: [url] });
