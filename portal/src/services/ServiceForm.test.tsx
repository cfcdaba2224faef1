import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Service, User } from "../api/types";
import { canManageService, hasRole } from "../auth/roles";
import { UserContext } from "../auth/user-context";
import { admin, developer, fakeApi, problem, viewer } from "../test/api";
import { renderWithQuery } from "../test/render";
import { ServiceForm } from "./ServiceForm";

const existing = {
  id: "svc-1",
  name: "payments",
  description: "Takes the money",
  repository_url: "https://git.example.com/payments",
  owner_id: developer.id,
  lifecycle: "experimental",
  tier: 2,
  tags: ["python"],
  version: 7,
} as Service;

function renderForm(user: User, onSaved = vi.fn()) {
  renderWithQuery(
    <UserContext.Provider value={user}>
      <ServiceForm service={existing} onSaved={onSaved} />
    </UserContext.Provider>,
  );
  return onSaved;
}

describe("editing a service", () => {
  it("sends only the changed fields with the version read, and hands back the saved service", async () => {
    const api = fakeApi({
      "PATCH /services/svc-1": async (request: Request) => ({ ...existing, ...((await request.json()) as object), version: 8 }),
    });
    const onSaved = renderForm(developer);
    expect(screen.getByRole("textbox", { name: "Name" })).toHaveValue("payments");
    expect(screen.getByRole("textbox", { name: "Tags" })).toHaveValue("python");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Lifecycle" }), "production");
    await userEvent.type(screen.getByRole("textbox", { name: "Tags" }), ", money");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    await waitFor(() => expect(onSaved).toHaveBeenCalledOnce());
    const body = await api.callsTo("PATCH /services/svc-1")[0]?.request.json();
    expect(body).toEqual({ version: 7, lifecycle: "production", tags: ["python", "money"] });
    expect(onSaved.mock.calls[0]?.[0]).toMatchObject({ version: 8, lifecycle: "production" });
  });

  it("says so when someone else saved first (a stale version), keeping the edits", async () => {
    fakeApi({ "PATCH /services/svc-1": () => problem(409, "The service was changed by someone else (version 8); reload it.") });
    const onSaved = renderForm(developer);
    await userEvent.clear(screen.getByRole("textbox", { name: "Description" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Description" }), "New words");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("changed by someone else");
    expect(screen.getByRole("textbox", { name: "Description" })).toHaveValue("New words");
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("shows the Owner combobox to admins only", () => {
    fakeApi({ "GET /people": () => ({ items: [], next_cursor: null }) });
    renderForm(developer);
    expect(screen.queryByRole("combobox", { name: "Owner" })).not.toBeInTheDocument();
  });
});

describe("role helpers", () => {
  it("orders viewer < developer < admin and applies the owner rule", () => {
    expect(hasRole(viewer, "developer")).toBe(false);
    expect(hasRole(developer, "developer")).toBe(true);
    expect(hasRole(developer, "admin")).toBe(false);
    expect(hasRole(admin, "developer")).toBe(true);
    expect(hasRole(null, "viewer")).toBe(false);
    expect(canManageService(developer, existing)).toBe(true);
    expect(canManageService({ ...developer, id: "someone-else" }, existing)).toBe(false);
    expect(canManageService({ ...viewer, id: developer.id }, existing)).toBe(false);
    expect(canManageService(admin, existing)).toBe(true);
  });
});
