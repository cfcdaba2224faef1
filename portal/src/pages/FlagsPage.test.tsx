import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { developer, fakeApi, json, problem, signedInHandlers, viewer } from "../test/api";
import { aFlag } from "../test/part2";
import { renderApp } from "../test/render";

const flags = [
  aFlag("new-checkout", { description: "The redesigned checkout", enabled: true, environments: ["staging"], rollout_percentage: 25 }),
  aFlag("dark_mode", { enabled: true }),
  aFlag("beta-search", { description: "Search v2" }),
];

const rowOf = (key: string) => screen.getByRole("link", { name: key }).closest("tr") as HTMLElement;
const cells = (row: HTMLElement) => within(row).getAllByRole("cell").map((cell) => cell.textContent);

describe("the flags", () => {
  it("lists every flag linked by key with where it is enabled, and searches key and description", async () => {
    fakeApi({
      ...signedInHandlers(viewer),
      "GET /flags": (_request: Request, url: URL) =>
        url.searchParams.get("cursor") ? { items: flags.slice(2), next_cursor: null } : { items: flags.slice(0, 2), next_cursor: "2" },
    });
    renderApp("/flags", { token: "t" });
    expect(await screen.findByRole("link", { name: "beta-search" })).toHaveAttribute("href", "/flags/beta-search");
    expect(screen.getByRole("columnheader", { name: "Enabled in" })).toBeInTheDocument();
    // enabled, rollout, development, staging, production
    expect(cells(rowOf("new-checkout"))).toEqual(["on", "25%", "off", "on", "off"]);
    expect(cells(rowOf("dark_mode"))).toEqual(["on", "100%", "on", "on", "on"]);
    expect(cells(rowOf("beta-search"))).toEqual(["off", "100%", "off", "off", "off"]);
    expect(screen.queryByRole("button", { name: "New flag" })).not.toBeInTheDocument();

    await userEvent.type(screen.getByRole("searchbox", { name: "Search flags" }), "redesigned");
    expect(screen.getAllByRole("link", { name: /./ }).map((link) => link.textContent)).toContain("new-checkout");
    expect(screen.queryByRole("link", { name: "dark_mode" })).not.toBeInTheDocument();
  });

  it("creates a flag from the form, shows the API's field errors, then opens the new flag", async () => {
    let attempts = 0;
    const api = fakeApi({
      ...signedInHandlers(developer),
      "GET /flags": () => ({ items: flags, next_cursor: null }),
      "POST /flags": () => {
        attempts += 1;
        return attempts === 1
          ? problem(400, "Invalid input: key", [{ field: "key", message: "must match ^[a-z][a-z0-9_.-]{0,127}$" }])
          : json(aFlag("pay-later", { enabled: true, environments: ["development", "production"], rollout_percentage: 40 }), 201);
      },
      "GET /flags/pay-later": () => aFlag("pay-later"),
    });
    const { router } = renderApp("/flags", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "New flag" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Key" }), "Pay-Later");
    await userEvent.type(screen.getByRole("textbox", { name: "Description" }), "Pay in 30 days");
    await userEvent.click(screen.getByRole("checkbox", { name: "Enabled" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "production" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "development" }));
    const percentage = screen.getByRole("spinbutton", { name: "Rollout percentage" });
    expect(screen.getByRole("slider", { name: "Rollout percentage" })).toHaveValue("100");
    await userEvent.clear(percentage);
    await userEvent.type(percentage, "40");
    expect(screen.getByRole("slider", { name: "Rollout percentage" })).toHaveValue("40");
    await userEvent.click(screen.getByRole("button", { name: "Create flag" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid input: key");
    expect(screen.getByRole("textbox", { name: "Key" })).toHaveAccessibleDescription(/must match/);
    expect(await api.callsTo("POST /flags")[0]?.request.json()).toEqual({
      key: "Pay-Later",
      description: "Pay in 30 days",
      enabled: true,
      environments: ["development", "production"],
      rollout_percentage: 40,
    });
    await userEvent.click(screen.getByRole("button", { name: "Create flag" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/flags/pay-later"));
  });
});
