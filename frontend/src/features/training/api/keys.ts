// Query keys of the training feature. Job mutations invalidate `jobsKey(team)` and `jobKey(id)`.
export const jobsKey = (teamId: string) => ["teams", teamId, "jobs"] as const;
export const jobKey = (jobId: string) => ["jobs", jobId] as const;
export const templatesKey = (teamId: string) => ["teams", teamId, "job-templates"] as const;
export const modelFoldersKey = ["model-folders"] as const;
export const hubSearchKey = (search: string) => ["hub", "models", search] as const;
// Keys of the reads shared with other features (info, credentials, datasets) are in @/lib/api/keys.
