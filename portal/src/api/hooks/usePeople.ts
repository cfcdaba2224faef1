import { useQueries, useQuery } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";
import { api, unwrap } from "../client";
import { readAllPages } from "../pages";
import { MAX_PAGE, type Person } from "../types";

/** At most this many ids per GET /people?ids=... (the API's limit). */
export const PEOPLE_PER_CALL = 100;

function chunks(ids: readonly (string | null | undefined)[]): string[][] {
  const unique = [...new Set(ids.filter((id): id is string => !!id))].sort();
  const result: string[][] = [];
  for (let i = 0; i < unique.length; i += PEOPLE_PER_CALL) result.push(unique.slice(i, i + PEOPLE_PER_CALL));
  return result;
}

// Module-level, so TanStack Query re-combines only when a result changes.
function combinePeople(results: { data?: { items: Person[] }; isLoading: boolean }[]) {
  const byId = new Map<string, Person>();
  for (const result of results) for (const person of result.data?.items ?? []) byId.set(person.id, person);
  return { byId, isLoading: results.some((result) => result.isLoading) };
}

export interface PeopleDirectory {
  /** The person's name (or email when nameless), the id itself while loading or when unknown. */
  nameOf: (id: string | null | undefined) => string;
  byId: ReadonlyMap<string, Person>;
  isLoading: boolean;
}

/**
 * Names for a set of user ids: one GET /people?ids=... per 100 distinct ids (never a call per
 * row), cached by TanStack Query. Pass every id the page shows at once.
 */
export function usePeople(ids: readonly (string | null | undefined)[]): PeopleDirectory {
  const groups = useMemo(() => chunks(ids), [ids]);
  const { byId, isLoading } = useQueries({
    queries: groups.map((group) => ({
      queryKey: ["people", group.join(",")],
      queryFn: () =>
        unwrap(api.GET("/people", { params: { query: { ids: group.join(","), limit: PEOPLE_PER_CALL } } })),
      staleTime: 5 * 60_000,
    })),
    combine: combinePeople,
  });
  const nameOf = useCallback(
    (id: string | null | undefined) => {
      if (!id) return "—";
      const person = byId.get(id);
      return person ? person.name || person.email : id;
    },
    [byId],
  );
  return { nameOf, byId, isLoading };
}

/** The whole directory (every page of GET /people), e.g. for an Owner picker. */
export function useDirectory(enabled = true) {
  return useQuery({
    queryKey: ["people", "all"],
    queryFn: () =>
      readAllPages((cursor) => unwrap(api.GET("/people", { params: { query: { limit: MAX_PAGE, cursor } } }))),
    staleTime: 5 * 60_000,
    enabled,
  });
}
