// Names for the jobs API's generated schema types, plus the shapes the schema leaves open.
import type { components } from "@/lib/api/schema";

type Schemas = components["schemas"];

export type JobRead = Schemas["JobRead"];
export type JobCreate = Schemas["JobCreate"];
export type JobStatus = Schemas["JobStatus"];
export type JobPage = Schemas["JobPage"];
export type JobEventRead = Schemas["JobEventRead"];
export type TemplateRead = Schemas["TemplateRead"];
export type TemplateCreate = Schemas["TemplateCreate"];
export type ArtifactRead = Schemas["ArtifactRead"];
export type Info = Schemas["Info"];
export type WorkerInfo = Schemas["WorkerInfo"];
export type DatasetRead = Schemas["DatasetRead"];
export type VersionRead = Schemas["VersionRead"];
export type CredentialRead = Schemas["CredentialRead"];
export type HubSearch = Schemas["HubSearch"];
export type HubModel = Schemas["HubModel"];
export type ModelFolder = Schemas["ModelFolder"];

/** One suggestion to make a job fit or run faster (POST …/jobs/estimate). */
export type Suggestion = { action: string; message: string; fits: boolean };

/** One place a job could run, with its memory/time/cost estimate. */
export type EstimateTarget = {
  executor: "local" | "modal";
  worker?: string;
  gpu_type?: string;
  device_name?: string;
  device_type?: string;
  fits: boolean;
  peak_memory_gib?: number;
  seconds_per_step?: number;
  total_steps?: number;
  total_seconds?: number;
  /** Training plus process start-up and evaluation: what the user waits. */
  wall_seconds?: number;
  cost_usd?: number;
  message?: string;
  suggestions?: Suggestion[];
};

export type Estimate = {
  chosen: EstimateTarget | null;
  targets: EstimateTarget[];
  price_table_date?: string;
  facts?: Record<string, unknown>;
  spec_yaml: string;
  warnings?: string[];
};

export type Analytics = {
  days: number;
  total_jobs: number;
  by_status: Record<string, number>;
  by_method: Record<string, number>;
  per_day: { day: string; jobs: number; succeeded: number; failed: number }[];
  gpu_hours: number;
  cost_usd: number;
};

export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running", "cancelling"];
export const TERMINAL_STATUSES: JobStatus[] = ["succeeded", "failed", "cancelled"];
