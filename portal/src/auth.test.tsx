import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { getToken } from "./auth/session";
import { admin, developer, fakeApi, problem, signedInHandlers } from "./test/api";
import { renderApp } from "./test/render";

describe("signing in", () => {
  it("sends a signed-out visitor to /login and back to the page they asked for", async () => {
    const api = fakeApi({
      "POST /auth/login": () => ({ access_token: "token-1", token_type: "Bearer", expires_in: 3600, user: admin }),
      ...signedInHandlers(admin),
    });
    const { router } = renderApp("/account");
    const email = await screen.findByRole("textbox", { name: "Email" });
    expect(router.state.location.pathname).toBe("/login");
    await userEvent.type(email, "admin@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "admin-password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Your account" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/account");
    const [login] = api.callsTo("POST /auth/login");
    expect(await login?.request.json()).toEqual({ email: "admin@example.com", password: "admin-password" });
    const me = api.callsTo("GET /auth/me")[0];
    expect(me?.request.headers.get("Authorization")).toBe("Bearer token-1");
    expect(window.sessionStorage.getItem("idp.portal.token")).toBe("token-1");
  });

  it("shows the API's message in an alert when sign-in fails, keeping what was typed", async () => {
    fakeApi({ "POST /auth/login": () => problem(401, "Invalid email or password.") });
    renderApp("/login");
    await userEvent.type(await screen.findByRole("textbox", { name: "Email" }), "who@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrong-password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid email or password.");
    expect(screen.getByRole("textbox", { name: "Email" })).toHaveValue("who@example.com");
    expect(getToken()).toBeNull();
  });

  it("a refused token ends the session: /login says so, and signing in returns to the page", async () => {
    let tokenRefused = true;
    fakeApi({
      "GET /auth/me": () => (tokenRefused ? problem(401, "Token expired.") : developer),
      "GET /health": () => ({ status: "ok", checks: {} }),
      "POST /auth/login": () => {
        tokenRefused = false;
        return { access_token: "fresh", token_type: "Bearer", expires_in: 3600, user: developer };
      },
    });
    const { router } = renderApp("/account", { token: "stale" });
    expect(await screen.findByText("Your session has expired — sign in again")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(window.sessionStorage.getItem("idp.portal.token")).toBeNull();

    await userEvent.type(screen.getByRole("textbox", { name: "Email" }), "dev@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "dev-password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Your account" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/account");
  });
});

describe("the frame of signed-in pages", () => {
  it("offers every section, the user's name, health and sign-out; admin links only to admins", async () => {
    fakeApi({ ...signedInHandlers(developer), "GET /flags": () => ({ items: [], next_cursor: null }) });
    renderApp("/flags", { token: "t" });
    const nav = await screen.findByRole("navigation");
    for (const name of ["Dashboard", "Services", "Deployments", "Flags", "Audit", "Alerts"]) {
      expect(within(nav).getByRole("link", { name })).toBeInTheDocument();
    }
    expect(within(nav).queryByRole("link", { name: "Users" })).not.toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "SDK keys" })).not.toBeInTheDocument();
    expect(screen.getByText("Dev Eloper")).toBeInTheDocument();
    expect(await screen.findByText("ok")).toBeInTheDocument();
    expect(await screen.findByText("No flag is defined yet.")).toBeInTheDocument();
  });

  it("shows admins the Users and SDK keys links, and a degraded platform as degraded", async () => {
    fakeApi({ ...signedInHandlers(admin), "GET /health": () => new Response(JSON.stringify({ status: "degraded", checks: { dynamodb: "down" } }), { status: 503, headers: { "Content-Type": "application/json" } }), "GET /users": () => ({ items: [admin], next_cursor: null }) });
    renderApp("/users", { token: "t" });
    const nav = await screen.findByRole("navigation");
    expect(within(nav).getByRole("link", { name: "Users" })).toBeInTheDocument();
    expect(within(nav).getByRole("link", { name: "SDK keys" })).toBeInTheDocument();
    expect(await screen.findByText("degraded")).toBeInTheDocument();
  });

  it("signs out: the token is gone and the sign-in form is back", async () => {
    fakeApi(signedInHandlers(admin));
    renderApp("/account", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(getToken()).toBeNull();
    expect(window.sessionStorage.getItem("idp.portal.token")).toBeNull();
  });

  it("shows Page not found with a link home for an unknown URL", async () => {
    fakeApi(signedInHandlers(admin));
    renderApp("/no/such/page", { token: "t" });
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to the dashboard" })).toHaveAttribute("href", "/");
    expect(screen.getByRole("navigation")).toBeInTheDocument();
  });

  it("keeps the page when the API cannot be reached, with a Retry that tries again", async () => {
    let reachable = false;
    fakeApi({
      "GET /auth/me": () => {
        if (!reachable) throw new TypeError("Failed to fetch");
        return admin;
      },
      "GET /health": () => ({ status: "ok", checks: {} }),
    });
    renderApp("/account", { token: "t" });
    const alert = await screen.findByRole("alert", {}, { timeout: 4000 });
    expect(alert).toHaveTextContent("could not be reached");
    reachable = true;
    await userEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getByRole("heading", { name: "Your account" })).toBeInTheDocument());
  });
});

describe("the account page", () => {
  it("changes the password and shows the API's field error next to its field", async () => {
    const api = fakeApi({
      ...signedInHandlers(developer),
      "POST /auth/password": async (request: Request) => {
        const body = (await request.json()) as { current_password: string };
        return body.current_password === "right-password"
          ? new Response(null, { status: 204 })
          : problem(400, "Invalid input: current_password", [{ field: "current_password", message: "is not your current password" }]);
      },
    });
    renderApp("/account", { token: "t" });
    await userEvent.type(await screen.findByLabelText("Current password"), "wrong-password");
    await userEvent.type(screen.getByLabelText("New password"), "a-new-password");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid input: current_password");
    const current = screen.getByLabelText("Current password");
    expect(current).toHaveAttribute("aria-invalid", "true");
    expect(current).toHaveAccessibleDescription("is not your current password");
    expect(screen.getByLabelText("New password")).toHaveValue("a-new-password");

    await userEvent.clear(current);
    await userEvent.type(current, "right-password");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    // The API ended this token too: the person signs in again with the new password.
    expect(await screen.findByText("Your password was changed — sign in again with the new one")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(getToken()).toBeNull();
    expect(api.callsTo("POST /auth/password")).toHaveLength(2);
  });
});
