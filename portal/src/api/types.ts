/** Short names for the API's resources, from the generated schema. */
import type { components } from "./schema";

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
