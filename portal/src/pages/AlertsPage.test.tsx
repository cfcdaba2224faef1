import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Alert } from "../api/types";
import { admin, developer, fakeApi, signedInHandlers, viewer } from "../test/api";
import { page, peopleHandler } from "../test/deployments";
import { anAlert } from "../test/part2";
import { renderApp } from "../test/render";

function alertsApi(user = developer) {
  const state: { open: Alert[] } = { open: [anAlert("a1")] };
  const resolved = anAlert("a0", { status: "resolved", severity: "info", message: "Service registered: payments", acked_by: admin.id, acked_at: "2026-12-01T11:00:00Z", resolved_at: "2026-12-01T12:00:00Z" });
  const api = fakeApi({
    ...signedInHandlers(user),
    "GET /alerts": (_request: Request, url: URL) => (url.searchParams.get("status") === "open" ? page(state.open) : page([resolved])),
    "GET /people": peopleHandler(admin, developer),
    "POST /alerts/a1/ack": () => {
      state.open = state.open.map((alert) => ({ ...alert, acked_by: user.id, acked_at: "2026-12-02T10:00:00Z" }));
      return state.open[0];
    },
  });
  return api;
}

describe("alerts", () => {
  it("shows open alerts first with severity and message, and who acknowledged by name", async () => {
    alertsApi();
    renderApp("/alerts", { token: "t" });
    const tables = await screen.findAllByRole("table");
    expect(tables[0]).toHaveAccessibleName("Open alerts");
    expect(tables[0]).toHaveTextContent("critical");
    expect(tables[0]).toHaveTextContent("Deployment failure rate 60% over the last hour");
    await waitFor(() => expect(tables[1]).toHaveTextContent("by Ada Admin"));
  });

  it("acknowledges an open alert and shows the acknowledger", async () => {
    const api = alertsApi();
    renderApp("/alerts", { token: "t" });
    const row = (await screen.findByRole("rowheader", { name: /Deployment failure rate/ })).closest("tr") as HTMLElement;
    await userEvent.click(within(row).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(within(row).getByText(/by Dev Eloper/)).toBeInTheDocument());
    expect(api.callsTo("POST /alerts/a1/ack")).toHaveLength(1);
  });

  it("offers no Acknowledge to a viewer", async () => {
    alertsApi(viewer);
    renderApp("/alerts", { token: "t" });
    await screen.findByRole("rowheader", { name: /Deployment failure rate/ });
    expect(screen.queryByRole("button", { name: "Acknowledge" })).not.toBeInTheDocument();
  });
});
