import { useCallback, useEffect, useState } from "react";
import { useSearchParams } from "react-router";

/**
 * A page's filters: React state first, mirrored into the URL's query string (so a reload or a
 * shared link shows the same view). Not the other way round: React Router's setSearchParams
 * builds on the params of the last render, so two quick changes (clear the search, pick a
 * lifecycle) made before it re-rendered would undo each other.
 */
export function useUrlFilters(): [URLSearchParams, (name: string, value: string) => void] {
  const [params, setParams] = useSearchParams();
  const [filters, setFilters] = useState(() => new URLSearchParams(params));

  useEffect(() => {
    if (filters.toString() !== params.toString()) setParams(filters, { replace: true });
  }, [filters, params, setParams]);

  const setFilter = useCallback((name: string, value: string) => {
    setFilters((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  }, []);
  return [filters, setFilter];
}
