import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { developer, fakeApi, signedInHandlers } from "../test/api";
import { renderApp } from "../test/render";

const counts = (success: number, failed: number, cancelled: number) => ({
  triggered: success + failed + cancelled,
  success,
  failed,
  cancelled,
});
const day = (date: string, deployments: ReturnType<typeof counts>) => ({
  date,
  deployments,
  flags_changed: 0,
  flags_created: 0,
  logins: { failed: 0, succeeded: 1 },
  services_registered: 0,
});

function summary(days: number) {
  return {
    days,
    from: "2026-11-26",
    to: "2026-12-02",
    success_rate: 0.75,
    daily: [day("2026-12-01", counts(2, 1, 0)), day("2026-12-02", counts(1, 0, 1))],
    totals: { deployments: counts(3, 1, 1), flags_changed: 0, flags_created: 0, logins: { failed: 0, succeeded: 2 }, services_registered: 1 },
  };
}

describe("the dashboard", () => {
  it("shows the deployments per day as a chart with a table, the success rate, open alerts and my services", async () => {
    const api = fakeApi({
      ...signedInHandlers(developer),
      "GET /metrics/summary": (_request: Request, url: URL) => summary(Number(url.searchParams.get("days"))),
      "GET /alerts": (_request: Request, url: URL) =>
        url.searchParams.get("cursor")
          ? { items: [{ id: "a3" }], next_cursor: null }
          : { items: [{ id: "a1" }, { id: "a2" }], next_cursor: "more" },
      "GET /services": () => ({
        items: [
          { id: "s1", name: "mine-one", owner_id: developer.id, health: "healthy", tags: [] },
          { id: "s2", name: "someone-elses", owner_id: "other", health: "unknown", tags: [] },
        ],
        next_cursor: null,
      }),
    });
    renderApp("/", { token: "t" });

    expect(await screen.findByRole("img", { name: /Deployments per day by status/ })).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Deployments per day by status", hidden: true });
    const rows = within(table).getAllByRole("row", { hidden: true });
    expect(rows[1]).toHaveTextContent(/Dec 1.*3.*2.*1.*0/);
    expect(screen.getByText("75%")).toBeInTheDocument();

    expect(await screen.findByRole("link", { name: "3 open alerts" })).toHaveAttribute("href", "/alerts");
    expect(api.callsTo("GET /alerts").every((call) => call.url.searchParams.get("status") === "open")).toBe(true);

    const mine = screen.getByRole("region", { name: "My services" });
    expect(await within(mine).findByRole("link", { name: "mine-one" })).toHaveAttribute("href", "/services/s1");
    expect(within(mine).queryByRole("link", { name: "someone-elses" })).not.toBeInTheDocument();

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Period" }), "30");
    await screen.findByRole("img", { name: /Deployments per day/ });
    expect(api.callsTo("GET /metrics/summary").map((call) => call.url.searchParams.get("days"))).toEqual(["7", "30"]);
  });
});
