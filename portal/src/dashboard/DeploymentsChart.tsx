import type { MetricsSummary } from "../api/types";

type Day = MetricsSummary["daily"][number];

export const STATUSES = [
  { key: "success", label: "Succeeded", className: "bar-success" },
  { key: "failed", label: "Failed", className: "bar-failed" },
  { key: "cancelled", label: "Cancelled", className: "bar-cancelled" },
] as const;

const WIDTH = 640;
const HEIGHT = 200;
const AXIS = 24;

const shortDate = (date: string) =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

/**
 * Deployments per day by status: stacked bars drawn in SVG, and the same numbers in a table (the
 * chart's text alternative, for screen readers and for anyone who wants the figures).
 */
export function DeploymentsChart({ daily }: { daily: Day[] }) {
  const max = Math.max(1, ...daily.map((day) => STATUSES.reduce((sum, s) => sum + day.deployments[s.key], 0)));
  const slot = (WIDTH - AXIS) / Math.max(1, daily.length);
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const scale = (HEIGHT - AXIS) / max;
  const labelEvery = Math.ceil(daily.length / 10);

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="deployments-chart-title"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="deployments-chart-title">Deployments per day by status (bar chart; the table below has the figures)</title>
        <line x1={AXIS} y1={HEIGHT - AXIS} x2={WIDTH} y2={HEIGHT - AXIS} className="axis" />
        <text x={AXIS - 4} y={12} textAnchor="end" className="axis-label">
          {max}
        </text>
        <text x={AXIS - 4} y={HEIGHT - AXIS} textAnchor="end" className="axis-label">
          0
        </text>
        {daily.map((day, index) => {
          const x = AXIS + index * slot + (slot - barWidth) / 2;
          let y = HEIGHT - AXIS;
          return (
            <g key={day.date}>
              {STATUSES.map((status) => {
                const height = day.deployments[status.key] * scale;
                y -= height;
                return height > 0 ? (
                  <rect key={status.key} x={x} y={y} width={barWidth} height={height} className={status.className}>
                    <title>{`${shortDate(day.date)}: ${day.deployments[status.key]} ${status.label.toLowerCase()}`}</title>
                  </rect>
                ) : null;
              })}
              {index % labelEvery === 0 && (
                <text x={x + barWidth / 2} y={HEIGHT - 6} textAnchor="middle" className="axis-label">
                  {shortDate(day.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <ul className="legend" aria-hidden="true">
        {STATUSES.map((status) => (
          <li key={status.key}>
            <span className={`swatch ${status.className}`} /> {status.label}
          </li>
        ))}
      </ul>
      <figcaption>
        <details>
          <summary>Deployments per day as a table</summary>
          <table id="deployments-chart-table">
            <caption>Deployments per day by status</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="number">
                  Started
                </th>
                {STATUSES.map((status) => (
                  <th key={status.key} scope="col" className="number">
                    {status.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {daily.map((day) => (
                <tr key={day.date}>
                  <th scope="row">
                    <time dateTime={day.date}>{shortDate(day.date)}</time>
                  </th>
                  <td className="number">{day.deployments.triggered}</td>
                  {STATUSES.map((status) => (
                    <td key={status.key} className="number">
                      {day.deployments[status.key]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
