import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { HubImportIn, UploadResult } from "@/lib/api/types";
import { useDatasetMutation } from "./keys";

export type HubImportInput = { teamId: string } & Omit<HubImportIn, "base_model" | "revision"> & Partial<Pick<HubImportIn, "base_model" | "revision">>;

export function importFromHub({ teamId, ...body }: HubImportInput): Promise<UploadResult> {
  return unwrap(
    api.POST("/api/teams/{team_id}/datasets/hub-imports", {
      params: { path: { team_id: teamId } },
      body: { ...body, base_model: body.base_model ?? "tiny-llama", revision: body.revision ?? "main" },
    }),
  );
}

export function useImportFromHub() {
  return useDatasetMutation("hub-import", importFromHub);
}
