import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { templatesKey } from "./keys";
import type { TemplateCreate, TemplateRead } from "@/lib/api/types";

export function createTemplate(teamId: string, body: TemplateCreate): Promise<TemplateRead> {
  return unwrap(api.POST("/api/teams/{team_id}/job-templates", { params: { path: { team_id: teamId } }, body }));
}

export function useCreateTemplate(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TemplateCreate) => createTemplate(teamId, body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: templatesKey(teamId) }),
  });
}
