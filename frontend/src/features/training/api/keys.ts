// Query keys of the training feature. Job mutations invalidate `jobsKey(team)` and `jobKey(id)`.
export const jobsKey = (teamId: string) => ["teams", teamId, "jobs"] as const;
export const jobKey = (jobId: string) => ["jobs", jobId] as const;
export const templatesKey = (teamId: string) => ["teams", teamId, "job-templates"] as const;
export const modelFoldersKey = ["model-folders"] as const;
export const hubSearchKey = (search: string) => ["hub", "models", search] as const;
// Shared with the dashboard and settings features (same keys, so one cache entry each).
export const infoKey = ["system", "info"] as const;
export const credentialsKey = ["credentials"] as const;
export const datasetsKey = (teamId: string) => ["teams", teamId, "datasets"] as const;
export const versionsKey = (teamId: string, datasetId: string) => [...datasetsKey(teamId), datasetId, "versions"] as const;
