/** Short names for the API's resources, from the generated schema. */
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type User = Schemas["User"];
export type Role = User["role"];
export type Service = Schemas["Service"];
export type Lifecycle = Service["lifecycle"];
export type CreateServiceBody = Schemas["CreateService"];
export type UpdateServiceBody = Schemas["UpdateService"];
export type Deployment = Schemas["Deployment"];
export type Environment = Deployment["environment"];
export type DeploymentStatus = Deployment["status"];
export type Step = Schemas["Step"];
export type StepStatus = Step["status"];
export type EnvironmentState = Schemas["EnvironmentState"];
export type LogLine = Schemas["LogLine"];
export type LogLevel = LogLine["level"];
export type Alert = Schemas["Alert"];
export type MetricsSummary = Schemas["Summary"];
export type Health = Schemas["Health"];
export type Person = Schemas["Person"];

export const LIFECYCLES: readonly Lifecycle[] = ["experimental", "production", "deprecated"];
export const ENVIRONMENTS: readonly Environment[] = ["development", "staging", "production"];
export const DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ["PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELLED"];
export const LOG_LEVELS: readonly LogLevel[] = ["DEBUG", "INFO", "WARN", "ERROR"];
export const TIERS: readonly number[] = [1, 2, 3, 4];
/** Page size for lists the portal reads in full: the API's maximum. */
export const MAX_PAGE = 100;

export type Flag = Schemas["Flag"];
export type CreateFlagBody = Schemas["CreateFlag"];
export type UpdateFlagBody = Schemas["UpdateFlag"];
export type FlagEvaluation = Schemas["FlagEvaluation"];
export type SdkKey = Schemas["SdkKey"];
export type NewSdkKey = Schemas["NewSdkKey"];
export type AuditEntry = Schemas["AuditEntry"];
export type CreateUserBody = Schemas["CreateUser"];
export type UpdateUserBody = Schemas["UpdateUser"];

export const ROLES: readonly Role[] = ["viewer", "developer", "admin"];
export type AuditAction = NonNullable<NonNullable<operations["list_audit"]["parameters"]["query"]>["action"]>;
export type AuditResourceType = NonNullable<NonNullable<operations["list_audit"]["parameters"]["query"]>["resource_type"]>;
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  "auth.login", "auth.login_failed", "auth.password_change", "user.create", "user.update", "user.delete",
  "service.create", "service.update", "service.delete", "deployment.trigger", "deployment.cancel",
  "deployment.rollback", "flag.create", "flag.update", "flag.delete", "sdk_key.create", "sdk_key.delete", "alert.ack",
];
export const AUDIT_RESOURCE_TYPES: readonly AuditResourceType[] = ["user", "service", "deployment", "flag", "sdk_key", "alert"];
