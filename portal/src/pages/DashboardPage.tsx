import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useOpenAlerts } from "../api/hooks/useAlerts";
import { useMetricsSummary } from "../api/hooks/useMetrics";
import { useServices } from "../api/hooks/useServices";
import { useUser } from "../auth/user-context";
import { Page } from "../components/Page";
import { QueryState } from "../components/QueryState";
import { DeploymentsChart } from "../dashboard/DeploymentsChart";

const PERIODS = [7, 14, 30, 90];

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

export default function DashboardPage() {
  const [days, setDays] = useState(7);
  const summary = useMetricsSummary(days);
  const alerts = useOpenAlerts();

  return (
    <Page title="Dashboard">
      <div className="cards">
        <section className="card" aria-labelledby="success-rate-heading">
          <h2 id="success-rate-heading">Success rate</h2>
          <QueryState query={summary} what="the success rate">
            {(data) =>
              data.success_rate === null ? (
                <p>No deployment finished in the last {data.days} days.</p>
              ) : (
                <>
                  <p className="big-number">{percent(data.success_rate)}</p>
                  <p>
                    of finished deployments succeeded in the last {data.days} days ({data.totals.deployments.success} of{" "}
                    {data.totals.deployments.success + data.totals.deployments.failed}).
                  </p>
                </>
              )
            }
          </QueryState>
        </section>
        <section className="card" aria-labelledby="open-alerts-heading">
          <h2 id="open-alerts-heading">Open alerts</h2>
          <QueryState query={alerts} what="the open alerts">
            {(open) => (
              <>
                <p className="big-number">{open.length}</p>
                <p>
                  <Link to="/alerts">
                    {open.length === 1 ? "1 open alert" : `${open.length} open alerts`}
                  </Link>
                </p>
              </>
            )}
          </QueryState>
        </section>
        <MyServices />
      </div>

      <section aria-labelledby="deployments-per-day-heading">
        <div className="section-heading">
          <h2 id="deployments-per-day-heading">Deployments per day</h2>
          <div className="field inline">
            <label htmlFor="dashboard-period">Period</label>
            <select id="dashboard-period" value={days} onChange={(event) => setDays(Number(event.target.value))}>
              {PERIODS.map((period) => (
                <option key={period} value={period}>
                  Last {period} days
                </option>
              ))}
            </select>
          </div>
        </div>
        <QueryState query={summary} what="the deployment figures">
          {(data) => <DeploymentsChart daily={data.daily} />}
        </QueryState>
      </section>
    </Page>
  );
}

function MyServices() {
  const user = useUser();
  const services = useServices();
  const mine = useMemo(
    () => (services.data ?? []).filter((service) => service.owner_id === user.id),
    [services.data, user.id],
  );
  return (
    <section className="card" aria-labelledby="my-services-heading">
      <h2 id="my-services-heading">My services</h2>
      <QueryState query={services} what="your services">
        {() =>
          mine.length === 0 ? (
            <p>
              You own no service yet. <Link to="/services">Browse the catalog</Link>
            </p>
          ) : (
            <ul className="plain-list">
              {mine.map((service) => (
                <li key={service.id}>
                  <Link to={`/services/${service.id}`}>{service.name}</Link>{" "}
                  <span className={`health-text health-${service.health}`}>{service.health}</span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
