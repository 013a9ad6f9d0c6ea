import type { GenerationRead, ModelVersionSummary, TurnRead } from "@/lib/api/types";
import { alice } from "@/test/fake-api";

export const teamId = alice.teams[0]!.id;
export const modelId = "6a1c0000-0000-4000-8000-000000000001";
export const v1 = "6a1c0000-0000-4000-8000-000000000101";
export const v2 = "6a1c0000-0000-4000-8000-000000000102";
export const turnId = "7b2d0000-0000-4000-8000-000000000001";
export const genA = "7b2d0000-0000-4000-8000-00000000000a";
export const genB = "7b2d0000-0000-4000-8000-00000000000b";
export const feedbackVersion = "5a1b2c3d-0000-4000-8000-0000000000f3";
export const feedbackDataset = "5a1b2c3d-0000-4000-8000-0000000000d1";

export function versionSummary(id: string, number: number, tags: string[] = []): ModelVersionSummary {
  return {
    id,
    model_id: modelId,
    model_name: "support-bot",
    number,
    created_at: "2026-11-22T01:00:00Z",
    archived: false,
    tags,
    job_id: null,
    base_model: "tiny-llama",
    key_metric: null,
  };
}

export function answer(overrides: Partial<GenerationRead> & Pick<GenerationRead, "id">): GenerationRead {
  return {
    turn_id: turnId,
    slot: 0,
    side: "A",
    label: "support-bot v2",
    version_id: v2,
    base: false,
    status: "done",
    text: "",
    seq: 0,
    finish_reason: null,
    error: null,
    stats: {},
    rendered_prompt: null,
    worker_name: "gpu-box",
    rating: null,
    edited_text: null,
    created_at: "2026-11-22T01:00:00Z",
    updated_at: "2026-11-22T01:00:00Z",
    ...overrides,
  };
}

export function turn(overrides: Partial<TurnRead> & Pick<TurnRead, "answers">): TurnRead {
  return {
    id: turnId,
    messages: [{ role: "user", content: "What is 2 plus 2?" }],
    params: { temperature: 0, top_p: 1, max_new_tokens: 256, stop: [], system: null, seed: null },
    blind: false,
    revealed: true,
    pick: null,
    created_at: "2026-11-22T01:00:00Z",
    ...overrides,
  };
}
