import type { components } from "./schema";

export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];

/** The API answered with an error: its problem+json body, as sent. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  /** The API's messages for one form field ("tags" also collects "tags.0", ...). */
  fieldMessages(field: string): string[] {
    return (this.problem.errors ?? [])
      .filter((error) => error.field === field || error.field.startsWith(`${field}.`))
      .map((error) => error.message);
  }
}

/** The request never got an answer (network down, API not running, proxy error page). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super("The platform could not be reached. Check your connection and try again.", { cause });
    this.name = "NetworkError";
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "title" in body && "status" in body;
}

/**
 * Turn whatever an error body was into an ApiError. A body that is not problem+json (a gateway's
 * HTML page, nothing) still gets a readable detail.
 */
export function toApiError(status: number, body: unknown): ApiError {
  if (isProblem(body)) {
    return new ApiError(status, { ...body, detail: body.detail ?? body.title, errors: body.errors ?? null });
  }
  return new ApiError(status, {
    title: `HTTP ${status}`,
    status,
    detail: `The platform answered with an unexpected error (HTTP ${status}).`,
    errors: null,
    request_id: "",
  });
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.status === 404;
