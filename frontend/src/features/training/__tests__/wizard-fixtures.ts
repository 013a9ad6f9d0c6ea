/** What GET /api/info answers in the wizard's tests: three methods, one CUDA worker. */
export const info = {
  version: "0.1.0",
  methods: [
    // Titles and sentences as the training library's method catalogue gives them.
    { name: "sft", title: "Supervised fine-tuning (SFT)", help: "Teaches the model to answer like your examples.", data_kinds: ["chat", "prompt_completion"], adapters: ["full", "lora", "qlora"], available: true },
    { name: "dpo", title: "Direct preference optimisation (DPO)", help: "Learns from pairs of a better and a worse answer.", data_kinds: ["preference"], adapters: ["full", "lora", "qlora"], available: true },
    { name: "reward", title: "Reward model", help: "Trains a scorer from preference pairs.", data_kinds: ["preference"], adapters: ["full", "lora"], available: true },
  ],
  data_kinds: [
    { name: "chat", description: "chat conversations" },
    { name: "prompt_completion", description: "prompt/completion pairs" },
    { name: "preference", description: "preference pairs (prompt/chosen/rejected)" },
    { name: "unpaired_preference", description: "labelled completions (good or bad)" },
    { name: "text", description: "raw text" },
    { name: "prompt", description: "prompts only" },
  ],
  adapters: [
    { name: "full", available: true },
    { name: "lora", available: true },
    { name: "qlora", available: true },
  ],
  providers: [{ name: "hf", available: true }],
  executors: [{ name: "local" }, { name: "modal" }],
  base_models: [{ name: "tiny-llama", available: true, description: "tiny" }],
  presets: { quick: { max_steps: 30 } },
  workers: [
    {
      name: "gpu-box",
      hostname: "gpu-box",
      executors: ["local"],
      devices: [{ name: "RTX 4090", type: "cuda", total_memory_bytes: 25769803776 }],
      max_devices: 1,
      max_concurrent_jobs: 1,
      version: "0.1.0",
      last_seen_at: "2026-11-22T01:00:00Z",
    },
  ],
};
