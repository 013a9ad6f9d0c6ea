import { useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { ConfigImportRead, ConfigImportRequest } from "@/lib/api/types";

/** A LLaMA-Factory or Axolotl training YAML mapped onto a job configuration (nothing is stored). */
export function importConfig(body: ConfigImportRequest): Promise<ConfigImportRead> {
  return unwrap(api.POST("/api/config-imports", { body }));
}

export function useImportConfig() {
  return useMutation({ mutationFn: importConfig });
}
