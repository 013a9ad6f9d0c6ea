import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { FeedbackDatasetRead } from "@/lib/api/types";
import { feedbackDatasetsKey } from "./keys";

/** The team's preference, rating and edit datasets made from feedback, with their latest versions. */
export function listFeedbackDatasets(teamId: string): Promise<FeedbackDatasetRead[]> {
  return unwrap(api.GET("/api/teams/{team_id}/playground/feedback", { params: { path: { team_id: teamId } } }));
}

export function feedbackDatasetsQueryOptions(teamId: string) {
  return queryOptions({ queryKey: feedbackDatasetsKey(teamId), queryFn: () => listFeedbackDatasets(teamId) });
}

export function useFeedbackDatasets(teamId: string | undefined) {
  return useQuery({ ...feedbackDatasetsQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
