import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";
import { jobKey } from "./keys";

/** One held-out prompt answered by the base and the fine-tuned model (training/evaluation.py). */
export type EvalSample = {
  prompt: { role: string; content: string }[] | string;
  reference: string;
  fine_tuned?: string;
  base?: string;
  scores?: { fine_tuned?: Record<string, number>; base?: Record<string, number> };
};

export type EvaluationReport = { samples?: EvalSample[]; summary?: Record<string, unknown> };

/** The job's evaluation.json (the final eval event carries only its summary); null when there is none. */
export async function getEvaluationReport(jobId: string): Promise<EvaluationReport | null> {
  const { data, error, response } = await api.GET("/api/jobs/{job_id}/artifacts/{path}", {
    params: { path: { job_id: jobId, path: "evaluation.json" } },
    parseAs: "json",
  });
  if (response.status === 404) return null;
  if (!response.ok) throw ApiError.fromResponse(response, error);
  return (data ?? null) as EvaluationReport | null;
}

export function evaluationReportQueryOptions(jobId: string) {
  return queryOptions({
    queryKey: [...jobKey(jobId), "evaluation.json"],
    queryFn: () => getEvaluationReport(jobId),
    staleTime: Infinity, // written once, when the run ends
  });
}

export function useEvaluationReport(jobId: string, enabled: boolean) {
  return useQuery({ ...evaluationReportQueryOptions(jobId), enabled });
}
