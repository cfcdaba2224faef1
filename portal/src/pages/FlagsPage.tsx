import { useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useFlags } from "../api/hooks/useFlags";
import { ENVIRONMENTS, type Flag } from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { Page } from "../components/Page";
import { QueryState } from "../components/QueryState";
import { isOnIn } from "../flags/FlagFields";
import { NewFlagForm } from "../flags/NewFlagForm";
import { useUrlFilters } from "../hooks/useUrlFilters";

export default function FlagsPage() {
  const user = useUser();
  const flags = useFlags();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const newButton = useRef<HTMLButtonElement>(null);
  return (
    <Page
      title="Flags"
      actions={
        hasRole(user, "developer") && (
          <button ref={newButton} type="button" aria-expanded={creating} aria-controls="new-flag" onClick={() => setCreating((open) => !open)}>
            New flag
          </button>
        )
      }
    >
      {/* The form takes the list's place: its environment names are then the only controls so named. */}
      {creating ? (
        <section id="new-flag" aria-labelledby="new-flag-heading" className="card">
          <h2 id="new-flag-heading">New flag</h2>
          <NewFlagForm
            onSaved={(flag) => void navigate(`/flags/${encodeURIComponent(flag.key)}`)}
            onCancel={() => {
              setCreating(false);
              newButton.current?.focus();
            }}
          />
        </section>
      ) : (
        <QueryState query={flags} what="the flags">
          {(all) => <FlagList flags={all} />}
        </QueryState>
      )}
    </Page>
  );
}

function FlagList({ flags }: { flags: Flag[] }) {
  const [params, setParam] = useUrlFilters();
  const search = params.get("q") ?? "";
  const needle = search.trim().toLowerCase();
  const shown = flags
    .filter((flag) => !needle || flag.key.includes(needle) || flag.description.toLowerCase().includes(needle))
    .sort((a, b) => a.key.localeCompare(b.key));
  return (
    <>
      <search>
        <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter flags">
          <div className="field">
            <label htmlFor="flag-search">Search flags</label>
            <input id="flag-search" type="search" value={search} onChange={(event) => setParam("q", event.target.value)} placeholder="Key or description" />
          </div>
        </form>
      </search>
      <p role="status" className="result-count">
        {shown.length === flags.length ? `${flags.length} ${flags.length === 1 ? "flag" : "flags"}` : `${shown.length} of ${flags.length} flags match`}
      </p>
      {shown.length === 0 ? (
        <p>{flags.length === 0 ? "No flag is defined yet." : "No flag matches this search."}</p>
      ) : (
        <table>
          <caption className="visually-hidden">Feature flags, by key</caption>
          <thead>
            <tr>
              <th scope="col" rowSpan={2}>Key</th>
              <th scope="col" rowSpan={2}>Enabled</th>
              <th scope="col" rowSpan={2}>Rollout</th>
              <th scope="colgroup" colSpan={ENVIRONMENTS.length}>Enabled in</th>
            </tr>
            <tr>
              {ENVIRONMENTS.map((environment) => (
                <th scope="col" key={environment}>{environment}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((flag) => (
              <tr key={flag.key}>
                <th scope="row">
                  <Link to={`/flags/${encodeURIComponent(flag.key)}`}>{flag.key}</Link>
                  {flag.description && <div className="row-description">{flag.description}</div>}
                </th>
                <td>{flag.enabled ? "on" : "off"}</td>
                <td>{flag.rollout_percentage}%</td>
                {ENVIRONMENTS.map((environment) => (
                  <td key={environment}>{isOnIn(flag, environment) ? "on" : "off"}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
