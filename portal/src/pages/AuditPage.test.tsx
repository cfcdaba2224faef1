import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, developer, fakeApi, signedInHandlers } from "../test/api";
import { page, peopleHandler } from "../test/deployments";
import { anAuditEntry } from "../test/part2";
import { renderApp } from "../test/render";

const newest = anAuditEntry({
  timestamp: "2026-12-02T10:00:00Z",
  changes: { enabled: { from: true, to: false }, rollout_percentage: { from: 50, to: 20 } },
});
const older = anAuditEntry({
  timestamp: "2026-12-01T09:00:00Z",
  actor_id: admin.id,
  actor_email: admin.email,
  action: "service.create",
  resource_type: "service",
  resource_id: "svc-1",
  changes: { name: { from: null, to: "payments" } },
});
const failedLogin = anAuditEntry({ actor_id: null, actor_email: "who@example.com", action: "auth.login_failed", resource_type: "user", resource_id: null });

describe("the audit trail", () => {
  it("shows entries newest first with actor names and field diffs, and more on demand", async () => {
    const api = fakeApi({
      ...signedInHandlers(admin),
      "GET /audit": (_request: Request, url: URL) => (url.searchParams.get("cursor") ? page([failedLogin]) : page([newest, older], "c2")),
      "GET /people": peopleHandler(admin, developer),
    });
    renderApp("/audit", { token: "t" });
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows[0]).toHaveTextContent("flag.update");
    expect(rows[0]).toHaveTextContent("enabled: true → false");
    expect(rows[0]).toHaveTextContent("rollout_percentage: 50 → 20");
    await waitFor(() => expect(rows[0]).toHaveTextContent("Dev Eloper"));
    expect(rows[1]).toHaveTextContent("Ada Admin");
    expect(rows[1]).toHaveTextContent("name: (none) → payments");
    expect(within(rows[1] as HTMLElement).getByRole("link", { name: "svc-1" })).toHaveAttribute("href", "/services/svc-1");
    expect(screen.queryByText(/your own entries only/)).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("who@example.com")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(api.callsTo("GET /people")).toHaveLength(2);
  });

  it("filters by action, resource type and (for admins) actor, on the server", async () => {
    const api = fakeApi({
      ...signedInHandlers(admin),
      "GET /audit": () => page([newest]),
      // The whole directory (no ids) for the Actor picker.
      "GET /people": (request: Request, url: URL) =>
        url.searchParams.get("ids") ? peopleHandler(admin, developer)(request, url) : page([admin, developer].map(({ id, name, email }) => ({ id, name, email }))),
    });
    renderApp("/audit", { token: "t" });
    await screen.findByRole("table");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Action" }), "flag.update");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Resource type" }), "flag");
    const actor = screen.getByRole("combobox", { name: "Actor" });
    await waitFor(() => expect(within(actor).getByRole("option", { name: "Dev Eloper" })).toBeInTheDocument());
    await userEvent.selectOptions(actor, developer.id);
    await waitFor(() => {
      const last = api.callsTo("GET /audit").at(-1)?.url.searchParams;
      expect(last?.get("action")).toBe("flag.update");
      expect(last?.get("resource_type")).toBe("flag");
      expect(last?.get("actor_id")).toBe(developer.id);
    });
  });

  it("tells a non-admin they see their own entries only, with no actor filter", async () => {
    fakeApi({ ...signedInHandlers(developer), "GET /audit": () => page([newest]), "GET /people": peopleHandler(developer) });
    renderApp("/audit", { token: "t" });
    expect(await screen.findByText(/You see your own entries only/)).toBeInTheDocument();
    expect(screen.queryByRole("combobox", { name: "Actor" })).not.toBeInTheDocument();
  });
});
