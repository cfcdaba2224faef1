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
  steps,
} from "../test/deployments";
import { renderApp } from "../test/render";
import type { Service } from "../api/types";

const URL_ = `/services/${SERVICE_ID}`;
const NEW_ID = "de000000-0000-4000-8000-0000000000aa";

const other = { ...developer, id: "00000000-0000-4000-8000-000000000009", name: "Omar Other", email: "other@example.com" };

const stagingDone: Service = aService({
  health: "healthy",
  last_deployment: { id: DEPLOYMENT_ID, status: "SUCCESS", version: "v1.0.0", environment: "staging", finished_at: "2026-12-01T10:00:06Z" },
  environments: {
    development: { active_deployment_id: null, last_deployment: null, health: "unknown" },
    staging: {
      active_deployment_id: null,
      last_deployment: { id: DEPLOYMENT_ID, status: "SUCCESS", version: "v1.0.0", environment: "staging", finished_at: "2026-12-01T10:00:06Z" },
      health: "healthy",
    },
    production: { active_deployment_id: null, last_deployment: null, health: "unknown" },
  },
});

function handlers(user = admin, extra: Record<string, Handler> = {}, service: Handler = () => stagingDone) {
  return {
    ...signedInHandlers(user),
    [`GET /services/${SERVICE_ID}`]: service,
    [`GET /services/${SERVICE_ID}/deployments`]: () => page([aDeployment({ environment: "staging" })]),
    [`GET /services/${SERVICE_ID}/logs`]: () =>
      page([aLogLine("Deployment succeeded: version v1.0.0 is live in staging"), aLogLine("Pull code started", "DEBUG")]),
    "GET /people": peopleHandler(developer, admin, other),
    ...extra,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the service page", () => {
  it("shows the service, its owner by name, one region per environment, its deployments and logs", async () => {
    const api = fakeApi(handlers());
    renderApp(URL_, { token: "t" });

    expect(await screen.findByRole("heading", { level: 1, name: "checkout-api" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(await screen.findByText("Dev Eloper")).toBeInTheDocument();
    const staging = screen.getByRole("region", { name: "staging" });
    expect(staging).toHaveTextContent("v1.0.0");
    expect(staging).toHaveTextContent("SUCCESS");
    expect(staging).toHaveTextContent("healthy");
    expect(within(staging).getByRole("link", { name: "v1.0.0" })).toHaveAttribute("href", `/deployments/${DEPLOYMENT_ID}`);
    expect(screen.getByRole("region", { name: "production" })).not.toHaveTextContent("v1.0.0");
    expect(screen.getByRole("region", { name: "development" })).toHaveTextContent("unknown");
    const deployments = screen.getByRole("region", { name: "Deployments" });
    expect(within(deployments).getByRole("link", { name: "v1.0.0" })).toBeInTheDocument();
    const logs = screen.getByRole("region", { name: "Logs" });
    expect(await within(logs).findByText("Deployment succeeded: version v1.0.0 is live in staging")).toBeInTheDocument();
    expect(logs).toHaveTextContent("INFO");
    expect(api.callsTo("GET /people")).toHaveLength(1);
    // A finished board is read once: nothing polls.
    expect(api.callsTo(`GET /services/${SERVICE_ID}`)).toHaveLength(1);
  });

  it("filters the logs by level on the server", async () => {
    const api = fakeApi(
      handlers(admin, {
        [`GET /services/${SERVICE_ID}/logs`]: (_request, url) =>
          url.searchParams.get("level") === "ERROR"
            ? page([aLogLine("Health check failed", "ERROR")])
            : page([aLogLine("Build started", "INFO")]),
      }),
    );
    renderApp(URL_, { token: "t" });
    const logs = await screen.findByRole("region", { name: "Logs" }, { timeout: 3_000 });
    expect(await within(logs).findByText("Build started")).toBeInTheDocument();

    await userEvent.selectOptions(within(logs).getByRole("combobox", { name: "Level" }), "ERROR");
    expect(await within(logs).findByText("Health check failed")).toBeInTheDocument();
    expect(logs).not.toHaveTextContent("INFO");
    const last = api.callsTo(`GET /services/${SERVICE_ID}/logs`).at(-1);
    expect(last?.url.searchParams.get("level")).toBe("ERROR");
  });

  it("Deploy starts one deployment for a double click, with one Idempotency-Key, and opens it", async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const api = fakeApi(
      handlers(developer, {
        "POST /deployments": async () => {
          await answered;
          return json(aDeployment({ id: NEW_ID, status: "PENDING", steps: steps(), environment: "staging" }), 202);
        },
        [`GET /deployments/${NEW_ID}`]: () => aDeployment({ id: NEW_ID, environment: "staging" }),
        [`GET /deployments/${NEW_ID}/logs`]: () => page([]),
      }),
    );
    const { router } = renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Deploy" }, { timeout: 3_000 }));
    const form = screen.getByRole("region", { name: /New deployment/ });
    const environment = within(form).getByRole("combobox", { name: "Environment" });
    expect(environment).toHaveValue("production");
    await userEvent.type(within(form).getByRole("textbox", { name: "Version" }), "v1.1.0");
    await userEvent.selectOptions(environment, "staging");
    const start = within(form).getByRole("button", { name: "Start deployment" });
    await userEvent.dblClick(start);
    expect(start).toBeDisabled();
    release();

    expect(await screen.findByRole("heading", { level: 1, name: "checkout-api v1.0.0" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/deployments/${NEW_ID}`);
    const posts = api.callsTo("POST /deployments");
    expect(posts).toHaveLength(1);
    expect(await posts[0]?.request.json()).toEqual({ service_id: SERVICE_ID, version: "v1.1.0", environment: "staging" });
    expect(posts[0]?.request.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a retry after no answer sends the same Idempotency-Key; a changed form gets a new one", async () => {
    let answer: "none" | "ok" = "none";
    const api = fakeApi(
      handlers(developer, {
        "POST /deployments": () => {
          if (answer === "none") throw new TypeError("Failed to fetch");
          return json(aDeployment({ id: NEW_ID, status: "PENDING", steps: steps() }), 202);
        },
        [`GET /deployments/${NEW_ID}`]: () => aDeployment({ id: NEW_ID }),
        [`GET /deployments/${NEW_ID}/logs`]: () => page([]),
      }),
    );
    renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Deploy" }, { timeout: 3_000 }));
    const version = screen.getByRole("textbox", { name: "Version" });
    await userEvent.type(version, "v2");
    await userEvent.click(screen.getByRole("button", { name: "Start deployment" }));
    await userEvent.click(await screen.findByRole("button", { name: "Retry" }));
    await screen.findByRole("button", { name: "Retry" });
    await userEvent.type(version, ".1");
    answer = "ok";
    await userEvent.click(screen.getByRole("button", { name: "Start deployment" }));
    await screen.findByRole("heading", { level: 1, name: "checkout-api v1.0.0" }, { timeout: 3_000 });

    const keys = api.callsTo("POST /deployments").map((call) => call.request.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it("shows the API's field error next to Version and keeps what was typed", async () => {
    fakeApi(
      handlers(developer, {
        "POST /deployments": () =>
          problem(400, "Request body is invalid", [{ field: "version", message: "must match ^[A-Za-z0-9._/+-]{1,128}$" }]),
      }),
    );
    renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Deploy" }, { timeout: 3_000 }));
    const version = screen.getByRole("textbox", { name: "Version" });
    await userEvent.type(version, "not a version");
    await userEvent.click(screen.getByRole("button", { name: "Start deployment" }));

    expect(await screen.findByText(/must match/)).toBeInTheDocument();
    expect(version).toHaveAccessibleDescription(expect.stringContaining("must match"));
    expect(version).toHaveAttribute("aria-invalid", "true");
    expect(version).toHaveValue("not a version");
  });

  it("a viewer sees no Deploy, Edit or Delete service", async () => {
    fakeApi(handlers(viewer));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByRole("heading", { level: 1, name: "checkout-api" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(await screen.findByText("Dev Eloper")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Deploy" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete service" })).not.toBeInTheDocument();
  });

  it("a developer who does not own it may deploy but not edit or delete it", async () => {
    fakeApi(handlers(other));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByRole("button", { name: "Deploy" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete service" })).not.toBeInTheDocument();
  });

  it("its owner edits it: PATCH with the version read; a stale version shows the API's message", async () => {
    let stale = true;
    let current = stagingDone;
    const patches: unknown[] = [];
    const patch: Handler = async (request) => {
      const body = (await request.json()) as { description?: string };
      patches.push(body);
      if (stale) return problem(409, "checkout-api was changed by someone else (version 4); reload and try again");
      current = { ...current, description: body.description ?? "", version: 4 };
      return current;
    };
    fakeApi(handlers(developer, { [`PATCH /services/${SERVICE_ID}`]: patch }, () => current));
    renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }, { timeout: 3_000 }));
    const description = screen.getByRole("textbox", { name: "Description" });
    await userEvent.clear(description);
    await userEvent.type(description, "Faster");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("changed by someone else");
    expect(description).toHaveValue("Faster"); // nothing typed is lost
    expect(patches).toEqual([{ description: "Faster", version: 3 }]);

    stale = false;
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Faster")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save" })).not.toBeInTheDocument();
  });

  it("its owner deletes it after confirming; a 409 shows the API's detail", async () => {
    let refuse = true;
    const api = fakeApi(
      handlers(developer, {
        [`DELETE /services/${SERVICE_ID}`]: () =>
          refuse ? problem(409, "checkout-api has an active deployment; wait for it or cancel it") : new Response(null, { status: 204 }),
        "GET /services": () => page([]),
      }),
    );
    const { router } = renderApp(URL_, { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "Delete service" }, { timeout: 3_000 }));
    expect(screen.getByText("You")).toBeInTheDocument(); // the owner is the signed-in developer
    expect(api.callsTo(`DELETE /services/${SERVICE_ID}`)).toHaveLength(0); // asks first
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("has an active deployment");
    expect(router.state.location.pathname).toBe(URL_);

    refuse = false;
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe("/services"));
  });

  it("follows an active deployment: polls the board and the logs, and stops when none is active", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let reads = 0;
    const running: Service = aService({
      active_deployment_id: NEW_ID,
      environments: {
        development: { active_deployment_id: null, last_deployment: null, health: "unknown" },
        staging: { active_deployment_id: NEW_ID, last_deployment: null, health: "unknown" },
        production: { active_deployment_id: null, last_deployment: null, health: "unknown" },
      },
    });
    const inFlight = aDeployment({ id: NEW_ID, version: "v1.1.0", status: "RUNNING", environment: "staging", finished_at: null });
    const api = fakeApi(
      handlers(
        admin,
        { [`GET /services/${SERVICE_ID}/deployments`]: () => page([reads < 3 ? inFlight : aDeployment({ id: NEW_ID })]) },
        () => {
          reads += 1;
          return reads < 3 ? running : stagingDone;
        },
      ),
    );
    renderApp(URL_, { token: "t" });
    const staging = await screen.findByRole("region", { name: "staging" }, { timeout: 3_000 });
    expect(await within(staging).findByRole("link", { name: "v1.1.0" })).toHaveAttribute("href", `/deployments/${NEW_ID}`);
    expect(staging).toHaveTextContent("RUNNING");

    await act(() => vi.advanceTimersByTimeAsync(4_100));
    expect(await within(screen.getByRole("region", { name: "staging" })).findByText("SUCCESS")).toBeInTheDocument();
    const logReads = api.callsTo(`GET /services/${SERVICE_ID}/logs`).length;
    expect(logReads).toBeGreaterThanOrEqual(3); // first view, polls, the final read
    const serviceReads = api.callsTo(`GET /services/${SERVICE_ID}`).length;
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(api.callsTo(`GET /services/${SERVICE_ID}`)).toHaveLength(serviceReads);
    expect(api.callsTo(`GET /services/${SERVICE_ID}/logs`)).toHaveLength(logReads);
  });

  it("an unknown id says Service not found inside the page", async () => {
    fakeApi(handlers(admin, {}, () => problem(404, "Service not found")));
    renderApp(URL_, { token: "t" });
    expect(await screen.findByRole("heading", { name: "Service not found" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(screen.getByRole("navigation")).toBeInTheDocument();
  });
});

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
