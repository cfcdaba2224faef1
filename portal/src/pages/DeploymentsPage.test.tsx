import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { developer, fakeApi, problem, signedInHandlers } from "../test/api";
import { aDeployment, aService, page, SERVICE_ID } from "../test/deployments";
import { renderApp } from "../test/render";

const OTHER_SERVICE = "5e7c1a4e-0000-4000-8000-000000000002";

const first = aDeployment({ id: "de000000-0000-4000-8000-000000000011", version: "v3.0.0", status: "RUNNING", environment: "staging" });
const second = aDeployment({ id: "de000000-0000-4000-8000-000000000012", version: "v2.0.0", service_id: OTHER_SERVICE });
const older = aDeployment({ id: "de000000-0000-4000-8000-000000000013", version: "v1.0.0", status: "FAILED" });

function handlers() {
  return {
    ...signedInHandlers(developer),
    "GET /services": () => page([aService(), aService({ id: OTHER_SERVICE, name: "billing" })]),
    "GET /deployments": (_request: Request, url: URL) => {
      if (url.searchParams.get("cursor") === "page-2") return page([older]);
      if (url.searchParams.get("status") === "FAILED") return page([older]);
      return page([first, second], "page-2");
    },
  };
}

const bodyRows = () => within(screen.getByRole("table")).getAllByRole("row").slice(1);

describe("the deployments page", () => {
  it("lists every deployment newest first with service names from one catalog read, and loads more", async () => {
    const api = fakeApi(handlers());
    renderApp("/deployments", { token: "t" });

    expect(await screen.findByRole("heading", { level: 1, name: "Deployments" }, { timeout: 3_000 })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "billing" })).toBeInTheDocument();
    const rows = bodyRows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent(/checkout-api.*v3\.0\.0.*staging.*RUNNING/);
    expect(within(rows[0] as HTMLElement).getByRole("link", { name: "v3.0.0" })).toHaveAttribute("href", `/deployments/${first.id}`);
    expect(rows[1]).toHaveTextContent(/billing.*v2\.0\.0.*production.*SUCCESS/);

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("link", { name: "v1.0.0" })).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(3);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(api.callsTo("GET /services")).toHaveLength(1);
    expect(api.calls.filter((call) => call.path.startsWith("/services/"))).toHaveLength(0); // no call per row
  });

  it("filters by status, environment and service on the server", async () => {
    const api = fakeApi(handlers());
    renderApp("/deployments", { token: "t" });
    await screen.findByRole("link", { name: "billing" }, { timeout: 3_000 });

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Status" }), "FAILED");
    expect(await screen.findByRole("link", { name: "v1.0.0" })).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(1);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Environment" }), "production");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Service" }), "checkout-api");
    const last = api.callsTo("GET /deployments").at(-1);
    expect(Object.fromEntries(last?.url.searchParams ?? [])).toEqual({
      status: "FAILED",
      environment: "production",
      service_id: SERVICE_ID,
    });
  });

  it("shows the API's message when it refuses", async () => {
    fakeApi({ ...handlers(), "GET /deployments": () => problem(403, "You may not list deployments.") });
    renderApp("/deployments", { token: "t" });
    expect(await screen.findByRole("alert", {}, { timeout: 3_000 })).toHaveTextContent("You may not list deployments.");
  });
});
