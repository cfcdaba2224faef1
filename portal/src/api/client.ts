/**
 * The one API client. Every server call goes through it, from a TanStack Query hook in
 * src/api/hooks/. Paths and bodies are typed from the API's own OpenAPI document
 * (schema.d.ts, `npm run gen:api`). Only same-origin /api/... paths: /api/services → GET /services.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { NetworkError, toApiError } from "./errors";
import { expireSession, getToken } from "../auth/session";

export const API_BASE = "/api";

const LOGIN_PATH = `${API_BASE}/auth/login`;

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A refused token (expired, revoked, user disabled) ends the session; RequireAuth then sends
    // the person to /login and back here afterwards. A failed sign-in is just a failed sign-in.
    if (response.status === 401 && new URL(request.url).pathname !== LOGIN_PATH) expireSession();
    return response;
  },
};

export const api = createClient<paths>({
  // Same origin, spelled out: Request objects need an absolute URL outside a browser (tests).
  baseUrl: `${window.location.origin}${API_BASE}`,
  // Resolved at call time, so tests can replace globalThis.fetch.
  fetch: (request) => globalThis.fetch(request),
});
api.use(authMiddleware);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Await an openapi-fetch call and return its data, or throw ApiError (the API said no) or
 * NetworkError (no answer). Query and mutation functions use it so errors reach the components.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    throw new NetworkError(cause);
  }
  const { data, error, response } = result;
  if (!response.ok) {
    // The API answers every error in JSON; a 5xx page in anything else comes from a proxy or
    // gateway in front of it (API down, timed out): to the person that is a network failure.
    if (response.status >= 500 && !isJson(response)) throw new NetworkError();
    throw toApiError(response.status, error);
  }
  return data as T;
}

function isJson(response: Response): boolean {
  return (response.headers.get("Content-Type") ?? "").includes("json");
}
