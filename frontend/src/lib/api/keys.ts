// Query keys of the reads several features share (one cache entry each, whoever asks).
export const infoKey = ["system", "info"] as const;
export const credentialsKey = ["credentials"] as const;
export const datasetsKey = (teamId: string) => ["teams", teamId, "datasets"] as const;
export const datasetKey = (teamId: string, datasetId: string) => [...datasetsKey(teamId), datasetId] as const;
export const versionsKey = (teamId: string, datasetId: string) => [...datasetKey(teamId, datasetId), "versions"] as const;
