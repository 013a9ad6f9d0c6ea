// Named aliases for the generated schema types, so features import names, not schema paths.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type TokenPair = Schemas["TokenPair"];
export type SsoInfo = Schemas["SsoInfo"];
export type TeamSsoRead = Schemas["TeamSsoRead"];
export type RegisterIn = Schemas["RegisterIn"];
export type LoginIn = Schemas["LoginIn"];
export type PasswordChangeIn = Schemas["PasswordChangeIn"];
export type UserRead = Schemas["UserRead"];
export type TeamSummary = Schemas["TeamSummary"];
export type Role = TeamSummary["role"];
export type MeUpdate = Schemas["MeUpdate"];
export type CredentialRead = Schemas["CredentialRead"];
export type ApiTokenCreate = Schemas["ApiTokenCreate"];
export type ApiTokenCreated = Schemas["ApiTokenCreated"];
export type ApiTokenRead = Schemas["ApiTokenRead"];
export type Provider = CredentialRead["provider"];
export type ModalTokenIn = Schemas["ModalTokenIn"];
export type Info = Schemas["Info"];
export type DatasetRead = Schemas["DatasetRead"];
export type VersionRead = Schemas["VersionRead"];
export type UploadResult = Schemas["UploadResult"];
export type HubImportIn = Schemas["HubImportIn"];
export type FormatRead = Schemas["FormatRead"];
export type IssueRead = Schemas["IssueRead"];
export type IssuePage = Schemas["IssuePage"];
export type PreviewRow = Schemas["PreviewRow"];
export type PreviewPage = Schemas["PreviewPage"];

// Jobs
export type JobRead = Schemas["JobRead"];
export type JobCreate = Schemas["JobCreate"];
export type JobStatus = Schemas["JobStatus"];
export type JobPage = Schemas["JobPage"];
export type JobEventRead = Schemas["JobEventRead"];
export type TemplateRead = Schemas["TemplateRead"];
export type TemplateCreate = Schemas["TemplateCreate"];
export type ArtifactRead = Schemas["ArtifactRead"];
export type ModelFolder = Schemas["ModelFolder"];
/** POST /teams/{id}/jobs/estimate: the settings checked like a launch, estimated on every target. */
export type EstimateRead = Schemas["EstimateRead"];
/** One place a job could run, with its memory/time/cost estimate. */
export type TargetEstimate = Schemas["TargetEstimate"];
export type EstimateSuggestion = Schemas["EstimateSuggestion"];
export type EstimatePhase = Schemas["EstimatePhase"];
/** GET /teams/{id}/estimate-accuracy: actual / estimated wall time of the team's last succeeded jobs. */
export type EstimateAccuracy = Schemas["EstimateAccuracy"];
/** A finished job's wall time and phases next to its estimate (recorded by the worker). */
export type JobTiming = Schemas["JobTiming"];
export type TeamAnalytics = Schemas["TeamAnalytics"];
export type GpuCatalogue = Schemas["GpuCatalogue"];

// System and the Hub
export type WorkerInfo = Schemas["WorkerInfo"];
export type DeviceInfo = Schemas["DeviceInfo"];
export type ProviderInfo = Schemas["ProviderInfo"];
export type BaseModelInfo = Schemas["BaseModelInfo"];
export type HubSearch = Schemas["HubSearch"];
export type HubModel = Schemas["HubModel"];

// Model registry
export type ModelRead = Schemas["ModelRead"];
export type ModelDetail = Schemas["ModelDetail"];
export type ModelVersionSummary = Schemas["ModelVersionSummary"];
export type ModelVersionPage = Schemas["ModelVersionPage"];
export type ModelVersionRead = Schemas["ModelVersionRead"];
export type ModelLineage = Schemas["Lineage"];
export type VersionUpdate = Schemas["VersionUpdate"];
/** GET /teams/{id}/model-versions/compare: config, metrics, loss curves and answers of 2+ versions side by side. */
export type CompareRead = Schemas["CompareRead"];
export type CompareRow = Schemas["CompareRow"];
export type LossCurve = Schemas["LossCurve"];

// Importing LLaMA-Factory / Axolotl training configs (POST /config-imports)
export type ConfigImportRequest = Schemas["ConfigImportRequest"];
export type ConfigImportRead = Schemas["ConfigImportRead"];
export type UnmappedOption = Schemas["UnmappedOption"];
export type DatasetHint = Schemas["DatasetHint"];

// Playground: chat turns answered by workers, feedback saved as dataset versions, batch comparisons
export type GenerationParams = Schemas["GenerationParams"];
export type ChatMessage = Schemas["ChatMessage"];
export type PlaygroundTarget = Schemas["Target"];
export type TurnCreate = Schemas["TurnCreate"];
export type TurnRead = Schemas["TurnRead"];
/** One side's answer of a turn; label, version and rendered prompt are null while a blind turn has no pick. */
export type GenerationRead = Schemas["GenerationRead"];
export type GenerationStats = Schemas["GenerationStats"];
export type FeedbackResult = Schemas["FeedbackResult"];
/** What a piece of feedback became: a new version of the team's feedback dataset. */
export type FeedbackSaved = Schemas["FeedbackSaved"];
export type FeedbackDatasetRead = Schemas["FeedbackDatasetRead"];
export type PlaygroundWorkers = Schemas["PlaygroundWorkers"];
export type BatchCreate = Schemas["BatchCreate"];
export type BatchRead = Schemas["BatchRead"];
export type BatchRow = Schemas["BatchRow"];
export type BatchSummary = Schemas["BatchSummary"];
export type BatchTarget = Schemas["BatchTarget"];

// Publishing a model version: to the Hugging Face Hub, to an Ollama server, as GGUF files (a worker task)
/** GET /publishing/options: Ollama servers, GGUF types, whether a Hub token is saved, and why no worker can publish. */
export type PublishingOptions = Schemas["PublishingOptions"];
export type HubPublish = Schemas["HubPublish"];
export type OllamaPublish = Schemas["OllamaPublish"];
export type GgufPublish = Schemas["GgufPublish"];
/** POST /model-versions/{id}/publications: one of the three, told apart by `target`. */
export type PublicationCreate = HubPublish | OllamaPublish | GgufPublish;
export type PublicationRead = Schemas["PublicationRead"];
export type PublicationTarget = PublicationRead["target"];
export type PublicationStatus = PublicationRead["status"];
export type PublishedFile = Schemas["PublishedFile"];

// Teams: members, roles, invitations by link
export type TeamRead = Schemas["TeamRead"];
export type TeamDetail = Schemas["TeamDetail"];
export type MemberRead = Schemas["MemberRead"];
export type InvitationCreate = Schemas["InvitationCreate"];
export type InvitationRead = Schemas["InvitationRead"];
/** POST /teams/{id}/invitations: the invitation and its link, shown this once. */
export type InvitationCreated = Schemas["InvitationCreated"];
/** GET /invitations/{token}: what the link offers the signed-in account, with its state in plain words. */
export type InvitationView = Schemas["InvitationView"];

// Team quotas and team credentials
export type QuotasRead = Schemas["QuotasRead"];
export type QuotaMeter = Schemas["QuotaMeter"];
export type QuotasUpdate = Schemas["QuotasUpdate"];
export type TeamCredentialsRead = Schemas["TeamCredentialsRead"];
export type TeamCredentialRead = Schemas["TeamCredentialRead"];

// Audit log
export type AuditEventRead = Schemas["AuditEventRead"];
export type AuditPage = Schemas["AuditPage"];
