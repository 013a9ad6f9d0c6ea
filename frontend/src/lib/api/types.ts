// Named aliases for the generated schema types, so features import names, not schema paths.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type TokenPair = Schemas["TokenPair"];
export type UserRead = Schemas["UserRead"];
export type TeamSummary = Schemas["TeamSummary"];
export type Role = TeamSummary["role"];
export type MeUpdate = Schemas["MeUpdate"];
export type CredentialRead = Schemas["CredentialRead"];
export type Provider = CredentialRead["provider"];
export type Info = Schemas["Info"];
export type DatasetRead = Schemas["DatasetRead"];
export type VersionRead = Schemas["VersionRead"];
export type UploadResult = Schemas["UploadResult"];
export type FormatRead = Schemas["FormatRead"];
export type IssueRead = Schemas["IssueRead"];
export type IssuePage = Schemas["IssuePage"];
export type PreviewRow = Schemas["PreviewRow"];
export type PreviewPage = Schemas["PreviewPage"];
