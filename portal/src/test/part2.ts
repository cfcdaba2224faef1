/** Flags, SDK keys, audit entries, alerts as the API sends them, for the part 2 pages' tests. */
import type { Alert, AuditEntry, Flag } from "../api/types";
import { developer } from "./api";

export function aFlag(key: string, fields: Partial<Flag> = {}): Flag {
  return {
    key,
    description: "",
    enabled: false,
    environments: [],
    rollout_percentage: 100,
    created_by: developer.id,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    version: 1,
    ...fields,
  };
}

let entryNumber = 0;
export function anAuditEntry(fields: Partial<AuditEntry> = {}): AuditEntry {
  entryNumber += 1;
  return {
    id: `entry-${entryNumber}`,
    timestamp: "2026-12-01T10:00:00Z",
    actor_id: developer.id,
    actor_email: developer.email,
    action: "flag.update",
    resource_type: "flag",
    resource_id: "new-checkout",
    changes: {},
    request_id: "req",
    source_ip: "127.0.0.1",
    ...fields,
  };
}

export function anAlert(id: string, fields: Partial<Alert> = {}): Alert {
  return {
    id,
    rule: "deployment_failure_rate",
    subject: "all",
    severity: "critical",
    status: "open",
    message: "Deployment failure rate 60% over the last hour",
    opened_at: "2026-12-01T10:00:00Z",
    resolved_at: null,
    acked_by: null,
    acked_at: null,
    version: 1,
    ...fields,
  };
}
