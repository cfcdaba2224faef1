/** Services, deployments and log lines as the API sends them, for the pages' tests. */
import type { Deployment, EnvironmentState, LogLine, Service, Step, StepStatus } from "../api/types";
import { developer } from "./api";

export const SERVICE_ID = "5e7c1a4e-0000-4000-8000-000000000001";
export const DEPLOYMENT_ID = "de000000-0000-4000-8000-000000000001";
export const STEP_NAMES = ["Pull code", "Install dependencies", "Run tests", "Build", "Deploy", "Health check"];


const idle: EnvironmentState = { active_deployment_id: null, last_deployment: null, health: "unknown" };

export function aService(overrides: Partial<Service> = {}): Service {
  return {
    id: SERVICE_ID,
    name: "checkout-api",
    description: "Takes the basket to payment",
    repository_url: "https://git.example.com/checkout-api",
    owner_id: developer.id,
    lifecycle: "production",
    tier: 1,
    tags: ["payments"],
    health: "unknown",
    active_deployment_id: null,
    last_deployment: null,
    environments: { development: idle, staging: idle, production: idle },
    created_at: "2026-11-30T10:00:00Z",
    updated_at: "2026-11-30T10:00:00Z",
    version: 3,
    ...overrides,
  };
}

/** Six steps: the first `statuses.length` get these statuses (with times when not pending), the rest pending. */
export function steps(...statuses: StepStatus[]): Step[] {
  return STEP_NAMES.map((name, index) => {
    const status = statuses[index] ?? "pending";
    const started = status === "pending" || status === "skipped" ? null : `2026-12-01T10:00:0${index}Z`;
    const finished = started && status !== "running" ? `2026-12-01T10:00:0${index}.500Z` : null;
    return { name, status, started_at: started, finished_at: finished };
  });
}

export function aDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: DEPLOYMENT_ID,
    service_id: SERVICE_ID,
    version: "v1.0.0",
    environment: "production",
    status: "SUCCESS",
    triggered_by: developer.id,
    cancelled_by: null,
    steps: steps("succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"),
    current_step: "Health check",
    error: null,
    rollback_of: null,
    execution_arn: null,
    created_at: "2026-12-01T09:59:59Z",
    started_at: "2026-12-01T10:00:00Z",
    finished_at: "2026-12-01T10:00:06Z",
    ...overrides,
  };
}

let lineNumber = 0;
export function aLogLine(message: string, level: LogLine["level"] = "INFO", overrides: Partial<LogLine> = {}): LogLine {
  lineNumber += 1;
  return {
    id: `line-${lineNumber}`,
    service_id: SERVICE_ID,
    deployment_id: DEPLOYMENT_ID,
    timestamp: `2026-12-01T10:00:${String(lineNumber % 60).padStart(2, "0")}Z`,
    level,
    message,
    metadata: {},
    ...overrides,
  };
}

export const page = <T>(items: T[], next_cursor: string | null = null) => ({ items, next_cursor });

/** GET /people?ids=...: the asked-for ids found among `people`. */
export const peopleHandler =
  (...people: { id: string; name: string; email: string }[]) =>
  (_request: Request, url: URL) => {
    const ids = (url.searchParams.get("ids") ?? "").split(",");
    return page(people.filter((person) => ids.includes(person.id)).map(({ id, name, email }) => ({ id, name, email })));
  };
