// Query keys of the datasets feature; every mutation invalidates the team's `datasetsKey`.
export const datasetsKey = (teamId: string) => ["teams", teamId, "datasets"] as const;
export const datasetKey = (teamId: string, datasetId: string) => [...datasetsKey(teamId), datasetId] as const;
export const versionsKey = (teamId: string, datasetId: string) => [...datasetKey(teamId, datasetId), "versions"] as const;
export const versionKey = (teamId: string, datasetId: string, versionId: string) =>
  [...versionsKey(teamId, datasetId), versionId] as const;
