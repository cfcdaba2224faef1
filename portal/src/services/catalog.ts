/** Filtering and sorting the catalog in the browser, over the WHOLE list (useServices reads it all). */
import type { Service } from "../api/types";

export interface CatalogFilters {
  search: string;
  lifecycle: string;
  owner: string;
  tag: string;
  /** Only the services of this user id. */
  mine: string | null;
}

export type SortKey = "name" | "owner" | "lifecycle" | "tier" | "health" | "updated";
export interface Sort {
  key: SortKey;
  direction: "ascending" | "descending";
}

/** Search matches the name, the description and the tags, ignoring case. */
export function matches(service: Service, filters: CatalogFilters): boolean {
  const needle = filters.search.trim().toLowerCase();
  if (needle) {
    const haystack = [service.name, service.description, ...service.tags].join("\n").toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  if (filters.lifecycle && service.lifecycle !== filters.lifecycle) return false;
  if (filters.owner && service.owner_id !== filters.owner) return false;
  if (filters.tag && !service.tags.includes(filters.tag)) return false;
  if (filters.mine && service.owner_id !== filters.mine) return false;
  return true;
}

const HEALTH_ORDER = { degraded: 0, unknown: 1, healthy: 2 } as const;

export function sortServices(services: Service[], sort: Sort, ownerName: (id: string) => string): Service[] {
  const value = (service: Service): string | number => {
    switch (sort.key) {
      case "name":
        return service.name;
      case "owner":
        return ownerName(service.owner_id).toLowerCase();
      case "lifecycle":
        return service.lifecycle;
      case "tier":
        return service.tier ?? 99;
      case "health":
        return HEALTH_ORDER[service.health];
      case "updated":
        return service.updated_at;
    }
  };
  const sign = sort.direction === "ascending" ? 1 : -1;
  return [...services].sort((a, b) => {
    const left = value(a);
    const right = value(b);
    const order = left < right ? -1 : left > right ? 1 : a.name.localeCompare(b.name);
    return order * sign;
  });
}

export function allTags(services: Service[]): string[] {
  return [...new Set(services.flatMap((service) => service.tags))].sort();
}
