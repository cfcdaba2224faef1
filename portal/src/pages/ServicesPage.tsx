import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { usePeople } from "../api/hooks/usePeople";
import { useServices } from "../api/hooks/useServices";
import { LIFECYCLES, type Service } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { Page } from "../components/Page";
import { QueryState } from "../components/QueryState";
import { allTags, matches, sortServices, type Sort, type SortKey } from "../services/catalog";
import { ServiceForm } from "../services/ServiceForm";
import { useUrlFilters } from "../hooks/useUrlFilters";
import { Options } from "../components/Options";

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: "name", label: "Name" },
  { key: "owner", label: "Owner" },
  { key: "lifecycle", label: "Lifecycle" },
  { key: "tier", label: "Tier" },
  { key: "health", label: "Health" },
  { key: "updated", label: "Updated" },
];

// One formatter for every row: building one per call (toLocaleString with options) costs more than the row.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const formatTime = (iso: string) => timeFormat.format(new Date(iso));

/** The catalog: every service, searched, filtered and sorted in the browser. */
export default function ServicesPage() {
  const user = useUser();
  const services = useServices();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const newButton = useRef<HTMLButtonElement>(null);
  const canCreate = hasRole(user, "developer");
  const formHeading = useRef<HTMLHeadingElement>(null);
  // Opening the form takes keyboard and screen-reader users to it.
  useEffect(() => {
    if (creating) formHeading.current?.focus();
  }, [creating]);

  return (
    <Page
      title="Services"
      actions={
        canCreate && (
          <button
            ref={newButton}
            type="button"
            aria-expanded={creating}
            onClick={() => setCreating((open) => !open)}
          >
            New service
          </button>
        )
      }
    >
      {/* The form takes the catalog's place while open: its Lifecycle and Owner are then the only ones. */}
      {creating ? (
        <section id="new-service" aria-labelledby="new-service-heading" className="card">
          <h2 id="new-service-heading" ref={formHeading} tabIndex={-1}>
            New service
          </h2>
          <ServiceForm
            onSaved={(service) => void navigate(`/services/${service.id}`)}
            onCancel={() => {
              setCreating(false);
              newButton.current?.focus();
            }}
          />
        </section>
      ) : (
        <QueryState query={services} what="the catalog">
          {(all) => <Catalog services={all} />}
        </QueryState>
      )}
    </Page>
  );
}

function Catalog({ services }: { services: Service[] }) {
  const user = useUser();
  const [params, setParam] = useUrlFilters();
  const people = usePeople(useMemo(() => services.map((service) => service.owner_id), [services]));
  const filters = {
    search: params.get("q") ?? "",
    lifecycle: params.get("lifecycle") ?? "",
    owner: params.get("owner") ?? "",
    tag: params.get("tag") ?? "",
    mine: params.get("mine") === "1" ? user.id : null,
  };
  const sort: Sort = {
    key: (COLUMNS.find((column) => column.key === params.get("sort"))?.key ?? "name"),
    direction: params.get("dir") === "descending" ? "descending" : "ascending",
  };

  const owners = useMemo(
    () =>
      [...new Set(services.map((service) => service.owner_id))]
        .map((id) => ({ id, name: people.nameOf(id) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    [services, people],
  );
  const tags = useMemo(() => allTags(services), [services]);
  const shown = sortServices(
    services.filter((service) => matches(service, filters)),
    sort,
    people.nameOf,
  );

  function sortBy(key: SortKey) {
    const direction = sort.key === key && sort.direction === "ascending" ? "descending" : "ascending";
    setParam("sort", key);
    setParam("dir", direction);
  }

  return (
    <>
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter services">
          <div className="field">
            <label htmlFor="catalog-search">Search services</label>
            <input
              id="catalog-search"
              type="search"
              value={filters.search}
              onChange={(event) => setParam("q", event.target.value)}
              placeholder="Name, description or tag"
            />
          </div>
          <div className="field">
            <label htmlFor="catalog-lifecycle">Lifecycle</label>
            <select id="catalog-lifecycle" value={filters.lifecycle} onChange={(event) => setParam("lifecycle", event.target.value)}>
              <option value="">Any lifecycle</option>
              <Options values={LIFECYCLES} />
            </select>
          </div>
          <div className="field">
            <label htmlFor="catalog-owner">Owner</label>
            <select id="catalog-owner" value={filters.owner} onChange={(event) => setParam("owner", event.target.value)}>
              <option value="">Any owner</option>
              {owners.map((owner) => (
                <option key={owner.id} value={owner.id}>
                  {owner.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="catalog-tag">Tag</label>
            <select id="catalog-tag" value={filters.tag} onChange={(event) => setParam("tag", event.target.value)}>
              <option value="">Any tag</option>
              <Options values={tags} />
            </select>
          </div>
          <div className="checkbox">
            <input
              id="catalog-mine"
              type="checkbox"
              checked={filters.mine !== null}
              onChange={(event) => setParam("mine", event.target.checked ? "1" : "")}
            />
            <label htmlFor="catalog-mine">My services</label>
          </div>
        </form>
      </search>
      <p role="status" className="result-count">
        {shown.length === services.length
          ? `${services.length} ${services.length === 1 ? "service" : "services"}`
          : `${shown.length} of ${services.length} services match`}
      </p>
      {shown.length === 0 ? (
        <p>{services.length === 0 ? "No service is registered yet." : "No service matches these filters."}</p>
      ) : (
        <table>
          <caption className="visually-hidden">Services, sorted by {sort.key} ({sort.direction})</caption>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th key={column.key} scope="col" aria-sort={sort.key === column.key ? sort.direction : undefined}>
                  <button type="button" className="sort" onClick={() => sortBy(column.key)}>
                    {column.label}
                    <span aria-hidden="true">{sort.key === column.key ? (sort.direction === "ascending" ? " ▲" : " ▼") : ""}</span>
                  </button>
                </th>
              ))}
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((service) => (
              <tr key={service.id}>
                <th scope="row">
                  <Link to={`/services/${service.id}`}>{service.name}</Link>
                  {service.description && <div className="row-description">{service.description}</div>}
                </th>
                <td>{people.nameOf(service.owner_id)}</td>
                <td>{service.lifecycle}</td>
                <td>{service.tier ?? "—"}</td>
                <td>{service.health}</td>
                <td>
                  <time dateTime={service.updated_at}>{formatTime(service.updated_at)}</time>
                </td>
                <td>
                  {service.tags.map((tag) => (
                    <span key={tag} className="tag">
                      {tag}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
