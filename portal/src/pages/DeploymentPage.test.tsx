import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { admin, developer, fakeApi, problem, signedInHandlers, viewer, type Handler } from "../test/api";
import {
  aDeployment,
  aLogLine,
  aService,
  DEPLOYMENT_ID,
  page,
  peopleHandler,
  SERVICE_ID,
  STEP_NAMES,
  steps,
} from "../test/deployments";
import { renderApp } from "../test/render";
import type { Deployment } from "../api/types";

const URL_ = `/deployments/${DEPLOYMENT_ID}`;

function handlers(deployment: Handler, extra: Record<string, Handler> = {}, user = developer) {
  return {
    ...signedInHandlers(user),
    [`GET /deployments/${DEPLOYMENT_ID}`]: deployment,
    [`GET /deployments/${DEPLOYMENT_ID}/logs`]: () => page([aLogLine("Pull code started"), aLogLine("Pull code succeeded")]),
    [`GET /services/${SERVICE_ID}`]: () => aService(),
    "GET /people": peopleHandler(developer, admin),
    ...extra,
  };
}

const stepItems = () => within(screen.getByRole("list", { name: "Deployment steps" })).getAllByRole("listitem");

afterEach(() => {
  vi.useRealTimers();
});

describe("the deployment page", () => {
  it("shows the service and version, the status, the six steps in order and the log lines oldest first", async () => {
    const failed = aDeployment({
      status: "FAILED",
      steps: steps("succeeded", "succeeded", "failed", "skipped", "skipped", "skipped"),
      error: "Run tests failed",
    });
    const api = fakeApi(handlers(() => failed, {}, admin));
    renderApp(URL_, { token: "t" });

    expect(await screen.findByRole("heading", { level: 1, name: "checkout-api v1.0.0" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(screen.getByText("FAILED", { exact: true })).toBeInTheDocument();
    const items = stepItems();
    expect(items).toHaveLength(6);
    const expected = ["succeeded", "succeeded", "failed", "skipped", "skipped", "skipped"];
    items.forEach((item, index) => {
      expect(item).toHaveTextContent(STEP_NAMES[index] ?? "");
      expect(within(item).getByText(expected[index] ?? "", { exact: true })).toBeInTheDocument();
    });
    expect(items[0]).toHaveTextContent("500 ms"); // a step with both times shows its duration
    expect(screen.getByText("Run tests failed")).toBeInTheDocument();
    expect(await screen.findByText("Dev Eloper")).toBeInTheDocument(); // triggered by, by name
    const rows = within(screen.getByRole("table", { name: /oldest first/ })).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([
      expect.stringContaining("Pull code started"),
      expect.stringContaining("Pull code succeeded"),
    ]);
    // Names resolved in one call, not one per id.
    expect(api.callsTo("GET /people")).toHaveLength(1);
  });

  it("follows an active deployment by itself and stops polling once it is over", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let reads = 0;
    const api = fakeApi(
      handlers(() => {
        reads += 1;
        if (reads === 1) return aDeployment({ status: "RUNNING", steps: steps("succeeded", "running"), finished_at: null });
        return aDeployment({ status: "SUCCESS" });
      }),
    );
    renderApp(URL_, { token: "t" });

    expect(await screen.findByText("RUNNING", { exact: true })).toBeInTheDocument();
    expect(stepItems().filter((item) => item.textContent?.includes("running"))).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Cancel deployment" })).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(1_600));
    expect(await screen.findByText("SUCCESS", { exact: true })).toBeInTheDocument();
    stepItems().forEach((item) => expect(item).toHaveTextContent("succeeded"));
    expect(screen.getByRole("button", { name: "Roll back" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(500)); // the final read of the log lines
    const deploymentReads = api.callsTo(`GET /deployments/${DEPLOYMENT_ID}`).length;
    const logReads = api.callsTo(`GET /deployments/${DEPLOYMENT_ID}/logs`).length;
    expect(deploymentReads).toBe(2);
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(api.callsTo(`GET /deployments/${DEPLOYMENT_ID}`)).toHaveLength(deploymentReads);
    expect(api.callsTo(`GET /deployments/${DEPLOYMENT_ID}/logs`)).toHaveLength(logReads);
  });

  it("a terminal deployment is read once: no polling at all", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = fakeApi(handlers(() => aDeployment()));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByText("SUCCESS", { exact: true })).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(api.callsTo(`GET /deployments/${DEPLOYMENT_ID}`)).toHaveLength(1);
    expect(api.callsTo(`GET /deployments/${DEPLOYMENT_ID}/logs`)).toHaveLength(1);
  });

  it("cancels a running deployment and says who cancelled it, by name", async () => {
    let current: Deployment = aDeployment({ status: "RUNNING", steps: steps("running"), finished_at: null });
    const api = fakeApi(
      handlers(() => current, {
        [`POST /deployments/${DEPLOYMENT_ID}/cancel`]: () => {
          current = aDeployment({ status: "CANCELLED", steps: steps("skipped"), cancelled_by: admin.id });
          return current;
        },
      }),
    );
    renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Cancel deployment" }));

    expect(await screen.findByText("CANCELLED", { exact: true })).toBeInTheDocument();
    expect(api.callsTo(`POST /deployments/${DEPLOYMENT_ID}/cancel`)).toHaveLength(1);
    expect(await screen.findByText("Cancelled by Ada Admin")).toBeInTheDocument();
    expect(stepItems()[0]).toHaveTextContent("skipped");
    expect(screen.getByRole("button", { name: "Roll back" })).toBeInTheDocument();
  });

  it("rolls back to a new deployment and opens it; a 409 shows the API's detail", async () => {
    const NEW_ID = "de000000-0000-4000-8000-000000000002";
    let refuse = true;
    fakeApi(
        handlers(() => aDeployment(), {
          [`POST /deployments/${DEPLOYMENT_ID}/rollback`]: () =>
            refuse
              ? problem(409, "Nothing to roll back to: no earlier SUCCESS deployment with another version.")
              : json202(aDeployment({ id: NEW_ID, version: "v0.9.0", status: "PENDING", steps: steps(), rollback_of: DEPLOYMENT_ID })),
          [`GET /deployments/${NEW_ID}`]: () =>
            aDeployment({ id: NEW_ID, version: "v0.9.0", status: "SUCCESS", rollback_of: DEPLOYMENT_ID }),
          [`GET /deployments/${NEW_ID}/logs`]: () => page([]),
      }),
    );
    const { router } = renderApp(URL_, { token: "t" });

    await userEvent.click(await screen.findByRole("button", { name: "Roll back" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Nothing to roll back to");
    expect(router.state.location.pathname).toBe(URL_);

    refuse = false;
    await userEvent.click(screen.getByRole("button", { name: "Roll back" }));
    expect(await screen.findByRole("heading", { level: 1, name: "checkout-api v0.9.0" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/deployments/${NEW_ID}`);
    expect(screen.getByRole("link", { name: "the deployment it replaced" })).toHaveAttribute("href", URL_);
  });

  it("a viewer sees neither Cancel deployment nor Roll back", async () => {
    fakeApi(handlers(() => aDeployment({ status: "RUNNING", steps: steps("running"), finished_at: null }), {}, viewer));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByText("RUNNING", { exact: true })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Roll back" })).not.toBeInTheDocument();
  });

  it("an unknown id says Deployment not found inside the page", async () => {
    fakeApi(handlers(() => problem(404, "Deployment not found")));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByRole("heading", { name: "Deployment not found" })).toBeInTheDocument();
    expect(screen.getByRole("navigation")).toBeInTheDocument();
  });

  it("a network failure offers Retry, which reads again", async () => {
    let fail = true;
    fakeApi(
      handlers(() => {
        if (fail) throw new TypeError("Failed to fetch");
        return aDeployment();
      }),
    );
    renderApp(URL_, { token: "t" });
    // One automatic retry of a request without an answer, then the person decides.
    const retry = await screen.findByRole("button", { name: "Retry" }, { timeout: 4_000 });
    expect(screen.getByRole("alert")).toHaveTextContent("could not be reached");
    fail = false;
    await userEvent.click(retry);
    expect(await screen.findByText("SUCCESS", { exact: true })).toBeInTheDocument();
  });
});

function json202(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 202, headers: { "Content-Type": "application/json" } });
}
