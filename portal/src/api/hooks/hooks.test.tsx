import { renderHook, waitFor } from "@testing-library/react";
import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { createQueryClient } from "../queryClient";
import { resetSessionForTests } from "../../auth/session";
import { fakeApi, problem } from "../../test/api";
import { ApiError, NetworkError } from "../errors";
import { usePeople } from "./usePeople";
import { useService, useServices } from "./useServices";

function wrapper() {
  const queryClient = createQueryClient();
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
}

const person = (n: number) => ({ id: `id-${String(n).padStart(3, "0")}`, name: `Person ${n}`, email: `p${n}@example.com` });

describe("usePeople", () => {
  it("resolves many ids with one call per 100 distinct ids, and names them", async () => {
    resetSessionForTests("t");
    const api = fakeApi({
      "GET /people": (_request: Request, url: URL) => {
        const ids = (url.searchParams.get("ids") ?? "").split(",");
        return { items: ids.map((id) => person(Number(id.slice(3)))), next_cursor: null };
      },
    });
    const ids = Array.from({ length: 150 }, (_, i) => person(i).id);
    const { result } = renderHook(() => usePeople([...ids, ...ids, null]), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isLoading).toBe(false));
    const calls = api.callsTo("GET /people");
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => (call.url.searchParams.get("ids") ?? "").split(",").length).sort()).toEqual([100, 50]);
    expect(calls[0]?.request.headers.get("Authorization")).toBe("Bearer t");
    expect(result.current.nameOf("id-149")).toBe("Person 149");
    expect(result.current.nameOf("unknown-id")).toBe("unknown-id");
  });

  it("asks nothing when there is no id", () => {
    const api = fakeApi({});
    const { result } = renderHook(() => usePeople([]), { wrapper: wrapper() });
    expect(result.current.isLoading).toBe(false);
    expect(api.calls).toHaveLength(0);
  });
});

describe("useServices", () => {
  it("reads the whole catalog, following next_cursor at 100 a page", async () => {
    const service = (n: number) => ({ id: `s${n}`, name: `service-${n}` });
    const api = fakeApi({
      "GET /services": (_request: Request, url: URL) =>
        url.searchParams.get("cursor") === "page-2"
          ? { items: [service(3)], next_cursor: null }
          : { items: [service(1), service(2)], next_cursor: "page-2" },
    });
    const { result } = renderHook(() => useServices(), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(result.current.data?.map((s) => s.name)).toEqual(["service-1", "service-2", "service-3"]);
    const calls = api.callsTo("GET /services");
    expect(calls.map((call) => call.url.searchParams.get("limit"))).toEqual(["100", "100"]);
  });

  it("reports an unknown service as an ApiError with status 404", async () => {
    fakeApi({ "GET /services/nope": () => problem(404, "Service not found.") });
    const { result } = renderHook(() => useService("nope"), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(result.current.error).toBeInstanceOf(ApiError);
    expect((result.current.error as ApiError).status).toBe(404);
  });
});

describe("errors that are not the API's", () => {
  it("treats a gateway's non-JSON 5xx page as a network failure (Retry), not as the API's message", async () => {
    fakeApi({ "GET /services/x": () => new Response("<html>Bad Gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }) });
    const { result } = renderHook(() => useService("x"), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isError).toBe(true), { timeout: 5000 });
    expect(result.current.error).toBeInstanceOf(NetworkError);
  });
});
