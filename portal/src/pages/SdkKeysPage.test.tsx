import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { SdkKey } from "../api/types";
import { admin, developer, fakeApi, json, signedInHandlers } from "../test/api";
import { peopleHandler } from "../test/deployments";
import { renderApp } from "../test/render";

const existing: SdkKey = {
  id: "key-1",
  name: "web shop",
  environment: "staging",
  key_prefix: "idp_sk_ab12",
  created_by: admin.id,
  created_at: "2026-12-01T10:00:00Z",
};

function keysApi() {
  const state = { keys: [existing] };
  const api = fakeApi({
    ...signedInHandlers(admin),
    "GET /sdk-keys": () => ({ items: state.keys, next_cursor: null }),
    "GET /people": peopleHandler(admin),
    "POST /sdk-keys": async (request: Request) => {
      const body = (await request.json()) as { name: string; environment: SdkKey["environment"] };
      const created = { ...existing, id: "key-2", ...body, key_prefix: "idp_sk_zz99", created_at: "2026-12-02T10:00:00Z" };
      state.keys = [created, ...state.keys];
      return json({ ...created, key: "idp_sk_zz99-the-whole-secret" }, 201);
    },
    "DELETE /sdk-keys/key-1": () => {
      state.keys = state.keys.filter((key) => key.id !== "key-1");
      return json(undefined, 204);
    },
  });
  return api;
}

describe("SDK keys", () => {
  it("lists keys without secrets, creator by name", async () => {
    keysApi();
    renderApp("/sdk-keys", { token: "t" });
    const row = (await screen.findByRole("rowheader", { name: "web shop" })).closest("tr") as HTMLElement;
    expect(row).toHaveTextContent("staging");
    expect(row).toHaveTextContent("idp_sk_ab12…");
    await waitFor(() => expect(row).toHaveTextContent("Ada Admin"));
  });

  it("creates a key, shows the secret once with Copy and the OFREP snippet", async () => {
    const api = keysApi();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    renderApp("/sdk-keys", { token: "t" });
    await userEvent.click(await screen.findByRole("button", { name: "New SDK key" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "mobile app");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Environment" }), "development");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));

    expect(await screen.findByText("idp_sk_zz99-the-whole-secret")).toBeInTheDocument();
    expect(screen.getByText(/it will not be shown again/)).toBeInTheDocument();
    expect(await api.callsTo("POST /sdk-keys")[0]?.request.json()).toEqual({ name: "mobile app", environment: "development" });
    await userEvent.click(screen.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith("idp_sk_zz99-the-whole-secret");
    expect(await screen.findByText("Copied to the clipboard.")).toBeInTheDocument();
    const snippet = document.getElementById("ofrep-snippet");
    expect(snippet).toHaveTextContent(`base_url="${window.location.origin}/api"`);
    expect(snippet).toHaveTextContent('"X-API-Key": "idp_sk_zz99-the-whole-secret"');
    expect(await screen.findByRole("rowheader", { name: "mobile app" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByText("idp_sk_zz99-the-whole-secret")).not.toBeInTheDocument();
  });

  it("revokes a key after confirming", async () => {
    const api = keysApi();
    renderApp("/sdk-keys", { token: "t" });
    const row = (await screen.findByRole("rowheader", { name: "web shop" })).closest("tr") as HTMLElement;
    await userEvent.click(within(row).getByRole("button", { name: "Revoke" }));
    expect(api.callsTo("DELETE /sdk-keys/key-1")).toHaveLength(0);
    await userEvent.click(within(row).getByRole("button", { name: "Revoke key" }));
    await waitFor(() => expect(screen.queryByRole("rowheader", { name: "web shop" })).not.toBeInTheDocument());
    expect(api.callsTo("DELETE /sdk-keys/key-1")).toHaveLength(1);
    expect(screen.getByText("No SDK key yet.")).toBeInTheDocument();
  });

  it("tells a developer who opens it that it is for admins only, asking the API nothing", async () => {
    const api = fakeApi(signedInHandlers(developer));
    renderApp("/sdk-keys", { token: "t" });
    expect(await screen.findByRole("alert")).toHaveTextContent("SDK keys is for admins only");
    expect(screen.queryByRole("button", { name: "New SDK key" })).not.toBeInTheDocument();
    expect(api.callsTo("GET /sdk-keys")).toHaveLength(0);
  });
});
