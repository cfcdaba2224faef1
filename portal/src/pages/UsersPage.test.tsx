import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { User } from "../api/types";
import { admin, developer, fakeApi, json, problem, signedInHandlers } from "../test/api";
import { page } from "../test/deployments";
import { renderApp } from "../test/render";

function usersApi() {
  const state: { users: User[] } = { users: [admin, developer] };
  const api = fakeApi({
    ...signedInHandlers(admin),
    "GET /users": () => page(state.users),
    "POST /users": async (request: Request) => {
      const body = (await request.json()) as Pick<User, "email" | "name" | "role">;
      const user = { ...developer, id: "new-user", email: body.email, name: body.name, role: body.role };
      state.users = [...state.users, user];
      return json(user, 201);
    },
    [`PATCH /users/${admin.id}`]: () => problem(409, "You cannot demote the last admin."),
    [`DELETE /users/${admin.id}`]: () => problem(409, "You cannot delete yourself."),
    [`PATCH /users/${developer.id}`]: async (request: Request) => {
      const body = (await request.json()) as Record<string, unknown>;
      const change = Object.fromEntries(Object.entries(body).filter(([field, value]) => value !== null && field !== "version"));
      state.users = state.users.map((user) => (user.id === developer.id ? { ...user, ...change, version: user.version + 1 } : user));
      return state.users.find((user) => user.id === developer.id);
    },
    [`DELETE /users/${developer.id}`]: () => {
      state.users = state.users.filter((user) => user.id !== developer.id);
      return json(undefined, 204);
    },
  });
  return api;
}

const rowOf = async (name: string) => (await screen.findByRole("rowheader", { name: new RegExp(`^${name}`) })).closest("tr") as HTMLElement;

describe("users", () => {
  it("creates a user", async () => {
    const api = usersApi();
    renderApp("/users", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "New user" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Email" }), "new@example.com");
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "New Person");
    await userEvent.type(screen.getByRole("textbox", { name: "Password" }), "a-long-passphrase");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Role" }), "viewer");
    await userEvent.click(screen.getByRole("button", { name: "Create user" }));
    expect(await screen.findByText("Created New Person (new@example.com) as viewer.")).toBeInTheDocument();
    expect(await rowOf("New Person")).toHaveTextContent("new@example.com");
    expect(await api.callsTo("POST /users")[0]?.request.json()).toEqual({
      email: "new@example.com", name: "New Person", password: "a-long-passphrase", role: "viewer",
    });
  });

  it("changes a role with the version read, disables, enables and deletes", async () => {
    const api = usersApi();
    renderApp("/users", { token: "t" });
    const row = await rowOf("Dev Eloper");
    await userEvent.selectOptions(within(row).getByRole("combobox", { name: "Role of Dev Eloper" }), "viewer");
    await waitFor(() => expect(within(row).getByRole("combobox", { name: "Role of Dev Eloper" })).toHaveValue("viewer"));
    await userEvent.click(within(row).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(row).toHaveTextContent("disabled"));
    await userEvent.click(within(row).getByRole("button", { name: "Enable" }));
    await waitFor(() => expect(row).toHaveTextContent("active"));
    const bodies = await Promise.all(api.callsTo(`PATCH /users/${developer.id}`).map((call) => call.request.json()));
    expect(bodies).toEqual([
      { name: null, role: "viewer", disabled: null, version: 1 },
      { name: null, role: null, disabled: true, version: 2 },
      { name: null, role: null, disabled: false, version: 3 },
    ]);
    await userEvent.click(within(row).getByRole("button", { name: "Delete user" }));
    await userEvent.click(within(row).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByRole("rowheader", { name: /^Dev Eloper/ })).not.toBeInTheDocument());
  });

  it("shows the API's guards (last admin, yourself) as messages, not errors", async () => {
    usersApi();
    renderApp("/users", { token: "t" });
    const row = await rowOf("Ada Admin");
    await userEvent.selectOptions(within(row).getByRole("combobox", { name: "Role of Ada Admin" }), "developer");
    expect(await within(row).findByRole("status")).toHaveTextContent("You cannot demote the last admin.");
    expect(within(row).getByRole("combobox", { name: "Role of Ada Admin" })).toHaveValue("admin");
    await userEvent.click(within(row).getByRole("button", { name: "Delete user" }));
    await userEvent.click(within(row).getByRole("button", { name: "Delete" }));
    expect(await within(row).findByRole("status")).toHaveTextContent("You cannot delete yourself.");
    expect(within(row).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("tells a developer who opens it that it is for admins only", async () => {
    fakeApi(signedInHandlers(developer));
    renderApp("/users", { token: "t" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Users is for admins only");
  });
});
