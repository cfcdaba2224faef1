import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { isNotFound } from "../api/errors";
import { ErrorDisplay } from "./ErrorDisplay";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="loading">
      Loading {what}…
    </p>
  );
}

/** An unknown id: said inside the page, with a way on. */
export function NotFound({ what, back }: { what: string; back?: { to: string; label: string } }) {
  return (
    <section className="not-found" aria-labelledby="not-found-heading">
      <h2 id="not-found-heading">{what} not found</h2>
      <p>It may have been deleted, or the address is mistyped.</p>
      {back && <Link to={back.to}>{back.label}</Link>}
    </section>
  );
}

interface QueryStateProps<T> {
  query: UseQueryResult<T>;
  /** For the messages: "the catalog", "this service". */
  what: string;
  /** Offered when the answer is 404. */
  notFound?: ReactNode;
  children: (data: T) => ReactNode;
}

/**
 * The states of one query, the same everywhere: loading, failed (the API's message, or the
 * network failure with `Retry`), not found, then the data. Never a blank page.
 */
export function QueryState<T>({ query, what, notFound, children }: QueryStateProps<T>) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) {
    if (notFound && isNotFound(query.error)) return <>{notFound}</>;
    return <ErrorDisplay error={query.error} onRetry={() => void query.refetch()} />;
  }
  return <>{children(query.data)}</>;
}
