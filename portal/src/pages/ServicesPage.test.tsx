import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Service } from "../api/types";
import { admin, developer, fakeApi, json, problem, signedInHandlers, viewer } from "../test/api";
import { renderApp } from "../test/render";

function service(name: string, fields: Partial<Service> = {}): Service {
  return {
    id: `id-${name}`,
    name,
    description: "",
    repository_url: null,
    owner_id: developer.id,
    lifecycle: "experimental",
    tier: null,
    tags: [],
    health: "unknown",
    active_deployment_id: null,
    last_deployment: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    version: 1,
    ...fields,
  } as Service;
}

const catalog = [
  service("payments", { description: "Takes the money", tags: ["python", "money"], lifecycle: "production", tier: 1 }),
  service("search-api", { description: "Finds things", tags: ["go"], owner_id: admin.id, tier: 2 }),
  service("legacy-billing", { description: "Old invoices", tags: ["money"], lifecycle: "deprecated", owner_id: admin.id }),
];

const people = [admin, developer, viewer].map(({ id, name, email }) => ({ id, name, email }));

function catalogApi(user = developer, pages: Service[][] = [catalog.slice(0, 2), catalog.slice(2)]) {
  return fakeApi({
    ...signedInHandlers(user),
    "GET /services": (_request: Request, url: URL) => {
      const index = Number(url.searchParams.get("cursor") ?? "0");
      return { items: pages[index] ?? [], next_cursor: index + 1 < pages.length ? String(index + 1) : null };
    },
    "GET /people": (_request: Request, url: URL) => {
      const ids = url.searchParams.get("ids")?.split(",");
      return { items: ids ? people.filter((person) => ids.includes(person.id)) : people, next_cursor: null };
    },
  });
}

const rowNames = () =>
  within(screen.getByRole("table"))
    .getAllByRole("row")
    .slice(1)
    .map((row) => within(row).getByRole("link").textContent);

describe("the catalog", () => {
  it("lists the whole catalog across pages, each service linked by name, owners by name with one /people call", async () => {
    const api = catalogApi();
    renderApp("/services", { token: "t" });
    expect(await screen.findByRole("link", { name: "legacy-billing" })).toHaveAttribute("href", "/services/id-legacy-billing");
    expect(rowNames()).toEqual(["legacy-billing", "payments", "search-api"]);
    await waitFor(() => expect(screen.getAllByText("Ada Admin").length).toBeGreaterThan(0));
    const paymentsRow = screen.getByRole("link", { name: "payments" }).closest("tr") as HTMLElement;
    expect(within(paymentsRow).getByText("Dev Eloper")).toBeInTheDocument();
    expect(api.callsTo("GET /services")).toHaveLength(2);
    expect(api.callsTo("GET /people")).toHaveLength(1);
  });

  it("searches name, description and tags as you type", async () => {
    catalogApi();
    renderApp("/services", { token: "t" });
    const search = await screen.findByRole("searchbox", { name: "Search services" });
    await screen.findByRole("table");
    await userEvent.type(search, "money");
    expect(rowNames()).toEqual(["legacy-billing", "payments"]);
    await userEvent.clear(search);
    await userEvent.type(search, "FINDS");
    expect(rowNames()).toEqual(["search-api"]);
    await userEvent.clear(search);
    await userEvent.type(search, "nothing-like-this");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    expect(screen.getByText("No service matches these filters.")).toBeInTheDocument();
  });

  it("filters by lifecycle, owner, tag and my services", async () => {
    catalogApi();
    renderApp("/services", { token: "t" });
    await screen.findByRole("table");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Lifecycle" }), "deprecated");
    expect(rowNames()).toEqual(["legacy-billing"]);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Lifecycle" }), "");

    await waitFor(() => expect(within(screen.getByRole("combobox", { name: "Owner" })).getByRole("option", { name: "Ada Admin" })).toBeInTheDocument());
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Owner" }), "Ada Admin");
    expect(rowNames()).toEqual(["legacy-billing", "search-api"]);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Owner" }), "");

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Tag" }), "go");
    expect(rowNames()).toEqual(["search-api"]);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Tag" }), "");

    await userEvent.click(screen.getByRole("checkbox", { name: "My services" }));
    expect(rowNames()).toEqual(["payments"]);
  });

  it("sorts by a column from its header button, saying so with aria-sort", async () => {
    catalogApi();
    renderApp("/services", { token: "t" });
    await screen.findByRole("table");
    const nameHeader = screen.getByRole("columnheader", { name: /Name/ });
    expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
    await userEvent.click(within(nameHeader).getByRole("button", { name: /Name/ }));
    expect(nameHeader).toHaveAttribute("aria-sort", "descending");
    expect(rowNames()).toEqual(["search-api", "payments", "legacy-billing"]);

    const tierHeader = screen.getByRole("columnheader", { name: /Tier/ });
    await userEvent.click(within(tierHeader).getByRole("button", { name: /Tier/ }));
    expect(tierHeader).toHaveAttribute("aria-sort", "ascending");
    expect(nameHeader).not.toHaveAttribute("aria-sort");
    expect(rowNames()).toEqual(["payments", "search-api", "legacy-billing"]);
  });

  it("offers New service to developers, not to viewers", async () => {
    catalogApi(viewer);
    renderApp("/services", { token: "t" });
    await screen.findByRole("table");
    expect(screen.queryByRole("button", { name: "New service" })).not.toBeInTheDocument();
  });
});

describe("creating a service", () => {
  it("sends the form, shows the API's field errors next to their fields, keeps the input, then opens the new service", async () => {
    let attempts = 0;
    const api = fakeApi({
      ...signedInHandlers(developer),
      "GET /services": () => ({ items: catalog, next_cursor: null }),
      "GET /people": () => ({ items: people, next_cursor: null }),
      "POST /services": () => {
        attempts += 1;
        return attempts === 1
          ? problem(400, "Invalid input: name, repository_url", [
              { field: "name", message: "must match ^[a-z][a-z0-9-]{1,62}$" },
              { field: "repository_url", message: "must be an http(s) URL" },
            ])
          : json(service("checkout", { id: "new-id" }), 201);
      },
    });
    const { router } = renderApp("/services", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "New service" }));
    expect(screen.queryByRole("combobox", { name: "Owner" })).not.toBeInTheDocument();
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "Checkout");
    await userEvent.type(screen.getByRole("textbox", { name: "Description" }), "Buys things");
    await userEvent.type(screen.getByRole("textbox", { name: "Repository URL" }), "git@example");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Lifecycle" , hidden: false }), "production");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Tier" }), "2");
    await userEvent.type(screen.getByRole("textbox", { name: "Tags" }), "shop, web ,");
    await userEvent.click(screen.getByRole("button", { name: "Create service" }));

    const form = screen.getByRole("form", { name: "New service" });
    expect(await within(form).findByRole("alert")).toHaveTextContent("Invalid input: name, repository_url");
    expect(within(form).getByRole("textbox", { name: "Name" })).toHaveAccessibleDescription(/must match/);
    expect(within(form).getByRole("textbox", { name: "Repository URL" })).toHaveAccessibleDescription("must be an http(s) URL");
    expect(within(form).getByRole("textbox", { name: "Description" })).toHaveValue("Buys things");

    const [first] = api.callsTo("POST /services");
    expect(await first?.request.json()).toEqual({
      name: "Checkout",
      description: "Buys things",
      repository_url: "git@example",
      lifecycle: "production",
      tier: 2,
      tags: ["shop", "web"],
      owner_id: null,
    });

    await userEvent.click(within(form).getByRole("button", { name: "Create service" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/services/new-id"));
  });

  it("lets an admin choose the owner from the directory", async () => {
    const api = fakeApi({
      ...signedInHandlers(admin),
      "GET /services": () => ({ items: catalog, next_cursor: null }),
      "GET /people": () => ({ items: people, next_cursor: null }),
      "POST /services": () => json(service("checkout", { id: "new-id" }), 201),
    });
    renderApp("/services", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "New service" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "checkout");
    const owner = screen.getByRole("combobox", { name: "Owner" });
    await waitFor(() => expect(within(owner).getByRole("option", { name: "Vi Ewer" })).toBeInTheDocument());
    await userEvent.selectOptions(owner, viewer.id);
    await userEvent.click(screen.getByRole("button", { name: "Create service" }));
    await waitFor(() => expect(api.callsTo("POST /services")).toHaveLength(1));
    const body = (await api.callsTo("POST /services")[0]?.request.json()) as { owner_id: string };
    expect(body.owner_id).toBe(viewer.id);
  });
});
