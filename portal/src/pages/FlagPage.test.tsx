import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Flag } from "../api/types";
import { admin, developer, fakeApi, json, problem, signedInHandlers, viewer } from "../test/api";
import { aFlag } from "../test/part2";
import { renderApp } from "../test/render";

/** A flag held by the fake API: PATCH applies the body and bumps the version, like the API. */
function flagApi(user = developer, start: Flag = aFlag("new-checkout", { enabled: true, environments: ["staging"], rollout_percentage: 50, version: 4 })) {
  const state = { flag: start };
  const api = fakeApi({
    ...signedInHandlers(user),
    "GET /flags/new-checkout": () => state.flag,
    "PATCH /flags/new-checkout": async (request: Request) => {
      const body = (await request.json()) as Record<string, unknown>;
      if (body.version !== null && body.version !== state.flag.version) return problem(409, "The flag changed since version " + String(body.version));
      const change = Object.fromEntries(Object.entries(body).filter(([field, value]) => value !== null && field !== "version"));
      state.flag = { ...state.flag, ...change, version: state.flag.version + 1 };
      return state.flag;
    },
    "GET /flags/new-checkout/evaluate": (_request: Request, url: URL) => ({
      key: "new-checkout",
      enabled: url.searchParams.get("environment") === "staging",
      reason: url.searchParams.get("environment") === "staging" ? "ALL_CONDITIONS_MET" : "ENVIRONMENT_NOT_TARGETED",
      message: url.searchParams.get("environment") === "staging" ? "user-7 is inside the 50% rollout" : "not targeted in production",
    }),
    "DELETE /flags/new-checkout": () => json(undefined, 204),
    "GET /flags": () => ({ items: [], next_cursor: null }),
  });
  return { api, state };
}

const patches = async (api: ReturnType<typeof flagApi>["api"]) =>
  Promise.all(api.callsTo("PATCH /flags/new-checkout").map((call) => call.request.json()));

describe("a flag's page", () => {
  it("turns the flag off with one click and a confirmation, saved at once and shown", async () => {
    const { api } = flagApi();
    renderApp("/flags/new-checkout", { token: "t" });
    const enabled = await screen.findByRole("checkbox", { name: "Enabled" });
    expect(enabled).toBeChecked();
    await userEvent.click(enabled);
    // Nothing is sent before the confirmation.
    expect(api.callsTo("PATCH /flags/new-checkout")).toHaveLength(0);
    await userEvent.click(screen.getByRole("button", { name: "Turn off" }));
    expect(await screen.findByText("Saved: new-checkout is now off.")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Enabled" })).not.toBeChecked();
    expect(await patches(api)).toEqual([{ description: null, enabled: false, environments: null, rollout_percentage: null, version: null }]);
  });

  it("cancelling the confirmation changes nothing", async () => {
    const { api } = flagApi();
    renderApp("/flags/new-checkout", { token: "t" });
    await userEvent.click(await screen.findByRole("checkbox", { name: "Enabled" }));
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("checkbox", { name: "Enabled" })).toBeChecked();
    expect(api.callsTo("PATCH /flags/new-checkout")).toHaveLength(0);
  });

  it("saves targeting and rollout with the version read, even after the kill switch saved", async () => {
    const { api } = flagApi();
    renderApp("/flags/new-checkout", { token: "t" });
    await userEvent.click(await screen.findByRole("checkbox", { name: "production" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Enabled" }));
    await userEvent.click(screen.getByRole("button", { name: "Turn off" }));
    await screen.findByText("Saved: new-checkout is now off.");
    const percentage = screen.getByRole("spinbutton", { name: "Rollout percentage" });
    await userEvent.clear(percentage);
    await userEvent.type(percentage, "75");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved version 6.")).toBeInTheDocument();
    const [, save] = await patches(api);
    expect(save).toEqual({ description: null, enabled: null, environments: ["staging", "production"], rollout_percentage: 75, version: 5 });
  });

  it("says so when someone else saved first, shows what changed, and reloads keeping the person's changes", async () => {
    const { api, state } = flagApi();
    renderApp("/flags/new-checkout", { token: "t" });
    const percentage = await screen.findByRole("spinbutton", { name: "Rollout percentage" });
    await userEvent.clear(percentage);
    await userEvent.type(percentage, "80");
    // Behind the page's back:
    state.flag = { ...state.flag, environments: [], rollout_percentage: 10, version: 5 };
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Someone else saved this flag first (now version 5)");
    expect(alert).toHaveTextContent("Environments: staging → every environment");
    expect(alert).toHaveTextContent("Rollout percentage: 50 → 10");
    expect(screen.getByRole("spinbutton", { name: "Rollout percentage" })).toHaveValue(80);

    await userEvent.click(within(alert).getByRole("button", { name: "Reload" }));
    expect(screen.getByText(/Reloaded version 5. Your changes \(Rollout percentage\) are kept/)).toBeInTheDocument();
    expect(screen.getByRole("spinbutton", { name: "Rollout percentage" })).toHaveValue(80);
    expect(screen.getByRole("checkbox", { name: "staging" })).not.toBeChecked();
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved version 6.")).toBeInTheDocument();
    expect((await patches(api))[1]).toEqual({ description: null, enabled: null, environments: null, rollout_percentage: 80, version: 5 });
  });

  it("asks the API how the flag evaluates for a user in an environment", async () => {
    const { api } = flagApi(viewer);
    renderApp("/flags/new-checkout", { token: "t" });
    await userEvent.type(await screen.findByRole("textbox", { name: "User ID" }), "user-7");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Environment" }), "staging");
    await userEvent.click(screen.getByRole("button", { name: "Evaluate" }));
    expect(await screen.findByText("user-7 is inside the 50% rollout")).toBeInTheDocument();
    expect(screen.getByText(/Result for/)).toHaveTextContent("Result for user-7 in staging: on — user-7 is inside the 50% rollout");
    const [call] = api.callsTo("GET /flags/new-checkout/evaluate");
    expect(call?.url.searchParams.get("user_id")).toBe("user-7");
    expect(call?.url.searchParams.get("environment")).toBe("staging");

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Environment" }), "production");
    await userEvent.click(screen.getByRole("button", { name: "Evaluate" }));
    expect(await screen.findByText("not targeted in production")).toBeInTheDocument();
    expect(screen.getByText(/Result for/)).toHaveTextContent("Result for user-7 in production: off");
    // A viewer changes nothing here.
    expect(screen.getByRole("checkbox", { name: "Enabled" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Save" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete flag" })).not.toBeInTheDocument();
  });

  it("lets an admin delete the flag after confirming", async () => {
    const { api } = flagApi(admin);
    const { router } = renderApp("/flags/new-checkout", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Delete flag" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/flags"));
    expect(api.callsTo("DELETE /flags/new-checkout")).toHaveLength(1);
  });

  it("shows a developer no Delete flag, and an unknown key as not found", async () => {
    fakeApi({ ...signedInHandlers(developer), "GET /flags/nope": () => problem(404, "No flag nope") });
    renderApp("/flags/nope", { token: "t" });
    expect(await screen.findByRole("heading", { name: "Flag not found" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete flag" })).not.toBeInTheDocument();
  });
});
