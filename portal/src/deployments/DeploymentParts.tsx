/** Pieces the service, deployment and deployments pages share. */
import type { LogLine, Step } from "../api/types";
import "./deployments.css";
import { formatDuration, formatTime } from "./format";

/** An API time, shown in the reader's zone, machine-readable in `dateTime`. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <>—</>;
  return <time dateTime={iso}>{formatTime(iso)}</time>;
}

/** A deployment's (or step's) status exactly as the API spells it: `SUCCESS`, `running`, ... */
export function StatusText({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** The six steps in order, each with its status text and, once it has both times, its duration. */
export function StepList({ steps }: { steps: readonly Step[] }) {
  return (
    <ol aria-label="Deployment steps" className="steps">
      {steps.map((step) => {
        const duration = formatDuration(step.started_at, step.finished_at);
        return (
          <li key={step.name} className={`step step-${step.status}`}>
            <span className="step-name">{step.name}</span>{" "}
            <StatusText status={step.status} />
            {duration && (
              <>
                {" "}
                <span className="step-duration">{duration}</span>
              </>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Log lines as the API ordered them. */
export function LogTable({ lines, caption }: { lines: readonly LogLine[]; caption: string }) {
  return (
    <table className="log-lines">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Level</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.id} className={`log-${line.level.toLowerCase()}`}>
            <td className="log-time">
              <Time iso={line.timestamp} />
            </td>
            <td className="log-level">{line.level}</td>
            <td className="log-message">{line.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
