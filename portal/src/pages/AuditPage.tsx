import { useMemo } from "react";
import { Link } from "react-router";
import { useAudit, type AuditFilters } from "../api/hooks/useAudit";
import { useDirectory, usePeople } from "../api/hooks/usePeople";
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, type AuditAction, type AuditEntry, type AuditResourceType } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { LoadMore } from "../components/LoadMore";
import { Page } from "../components/Page";
import { Loading } from "../components/QueryState";
import { Time } from "../deployments/DeploymentParts";
import { useUrlFilters } from "../hooks/useUrlFilters";
import { Options } from "../components/Options";

const pick = <T extends string>(value: string | null, allowed: readonly T[]): T | undefined =>
  allowed.find((item) => item === value);

export default function AuditPage() {
  const user = useUser();
  const isAdmin = hasRole(user, "admin");
  const [params, setParam] = useUrlFilters();
  const filters: AuditFilters = {
    action: pick<AuditAction>(params.get("action"), AUDIT_ACTIONS),
    resource_type: pick<AuditResourceType>(params.get("resource_type"), AUDIT_RESOURCE_TYPES),
    actor_id: (isAdmin && params.get("actor")) || undefined,
  };
  const audit = useAudit(filters);
  const directory = useDirectory(isAdmin);
  const entries = useMemo(() => audit.data?.pages.flatMap((page) => page.items) ?? [], [audit.data]);
  const people = usePeople(useMemo(() => entries.map((entry) => entry.actor_id), [entries]));
  const actorName = (entry: AuditEntry) =>
    entry.actor_id && people.byId.has(entry.actor_id) ? people.nameOf(entry.actor_id) : (entry.actor_email ?? "unknown");

  return (
    <Page title="Audit">
      {!isAdmin && (
        <p className="notice">You see your own entries only: the changes you made. Admins see everyone’s.</p>
      )}
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter the audit trail">
          <div className="field">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" value={filters.action ?? ""} onChange={(event) => setParam("action", event.target.value)}>
              <option value="">Any action</option>
              <Options values={AUDIT_ACTIONS} />
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-resource-type">Resource type</label>
            <select
              id="audit-resource-type"
              value={filters.resource_type ?? ""}
              onChange={(event) => setParam("resource_type", event.target.value)}
            >
              <option value="">Any resource type</option>
              <Options values={AUDIT_RESOURCE_TYPES} />
            </select>
          </div>
          {isAdmin && (
            <div className="field">
              <label htmlFor="audit-actor">Actor</label>
              <select id="audit-actor" value={filters.actor_id ?? ""} onChange={(event) => setParam("actor", event.target.value)}>
                <option value="">Anyone</option>
                {(directory.data ?? []).map((person) => (
                  <option key={person.id} value={person.id}>
                    {person.name || person.email}
                  </option>
                ))}
              </select>
            </div>
          )}
        </form>
      </search>
      {audit.isPending ? (
        <Loading what="the audit trail" />
      ) : audit.isError ? (
        <ErrorDisplay error={audit.error} onRetry={() => void audit.refetch()} />
      ) : entries.length === 0 ? (
        <p>No audit entry matches.</p>
      ) : (
        <>
          <table className="audit">
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td className="log-time">
                    <Time iso={entry.timestamp} />
                  </td>
                  <td>{actorName(entry)}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    <Resource entry={entry} />
                  </td>
                  <td>
                    <Changes changes={entry.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore query={audit} />
        </>
      )}
    </Page>
  );
}

const LINKS: Record<string, (id: string) => string> = {
  flag: (id) => `/flags/${encodeURIComponent(id)}`,
  service: (id) => `/services/${id}`,
  deployment: (id) => `/deployments/${id}`,
};

function Resource({ entry }: { entry: AuditEntry }) {
  const link = entry.resource_id && entry.action !== `${entry.resource_type}.delete` ? LINKS[entry.resource_type] : undefined;
  return (
    <>
      {entry.resource_type}{" "}
      {entry.resource_id && (link ? <Link to={link(entry.resource_id)}>{entry.resource_id}</Link> : <code>{entry.resource_id}</code>)}
    </>
  );
}

export const showChangeValue = (value: unknown): string => {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  if (Array.isArray(value) && value.length === 0) return "[]";
  return JSON.stringify(value);
};

/** Each changed field as `field: from → to`. */
function Changes({ changes }: { changes: AuditEntry["changes"] }) {
  const fields = Object.keys(changes).sort();
  if (fields.length === 0) return <>—</>;
  return (
    <ul className="diff">
      {fields.map((field) => {
        const change = changes[field];
        return (
          <li key={field}>
            <code>{field}</code>: <del>{showChangeValue(change?.from)}</del> → <ins>{showChangeValue(change?.to)}</ins>
          </li>
        );
      })}
    </ul>
  );
}
