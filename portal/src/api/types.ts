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
export type Alert = Schemas["Alert"];
export type MetricsSummary = Schemas["Summary"];
export type Health = Schemas["Health"];
export type Person = Schemas["Person"];

export const LIFECYCLES: readonly Lifecycle[] = ["experimental", "production", "deprecated"];
export const ENVIRONMENTS: readonly Environment[] = ["development", "staging", "production"];
export const TIERS: readonly number[] = [1, 2, 3, 4];
/** Page size for lists the portal reads in full: the API's maximum. */
export const MAX_PAGE = 100;
