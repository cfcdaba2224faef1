/**
 * A fake API for tests: globalThis.fetch is replaced by a table of "METHOD /path" handlers (the
 * path without /api and without the query string). Unknown calls fail the test loudly.
 */
import { vi } from "vitest";
import type { User } from "../api/types";

export type Handler = (request: Request, url: URL) => Response | Promise<Response> | unknown;

export interface FakeApi {
  calls: { method: string; path: string; url: URL; request: Request }[];
  callsTo: (route: string) => FakeApi["calls"];
}

export function json(body: unknown, status = 200): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
  });
}

export function problem(status: number, detail: string, errors: { field: string; message: string }[] | null = null) {
  return json({ title: "Error", status, detail, request_id: "req-1", errors }, status);
}

export function fakeApi(handlers: Record<string, Handler>): FakeApi {
  const api: FakeApi = {
    calls: [],
    callsTo: (route) => api.calls.filter((call) => `${call.method} ${call.path}` === route),
  };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), window.location.origin), init);
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/api/")) throw new Error(`the portal called a path outside /api: ${url.pathname}`);
    const path = url.pathname.slice("/api".length);
    const method = request.method;
    // A copy, so a test can read the body a handler already read.
    api.calls.push({ method, path, url, request: request.clone() });
    const handler = handlers[`${method} ${path}`];
    if (!handler) throw new Error(`unexpected call ${method} ${path}`);
    const answer = await handler(request, url);
    return answer instanceof Response ? answer : json(answer);
  });
  return api;
}

export const admin: User = {
  id: "00000000-0000-4000-8000-000000000001",
  email: "admin@example.com",
  name: "Ada Admin",
  role: "admin",
  disabled: false,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  version: 1,
};

export const developer: User = {
  ...admin,
  id: "00000000-0000-4000-8000-000000000002",
  email: "dev@example.com",
  name: "Dev Eloper",
  role: "developer",
};

export const viewer: User = {
  ...admin,
  id: "00000000-0000-4000-8000-000000000003",
  email: "viewer@example.com",
  name: "Vi Ewer",
  role: "viewer",
};

/** The calls every signed-in page makes: who am I, and the platform's health. */
export function signedInHandlers(user: User): Record<string, Handler> {
  return {
    "GET /auth/me": () => user,
    "GET /health": () => ({ status: "ok", checks: {} }),
  };
}
