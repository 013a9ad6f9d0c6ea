// One plain sentence per choice: what it is and when to use it (the wizard's goal step).
export const METHOD_HELP: Record<string, { title: string; sentence: string }> = {
  sft: {
    title: "Supervised fine-tuning (SFT)",
    sentence: "Teaches the model to answer like your examples; use it when you have good conversations or prompt/answer pairs.",
  },
  cpt: {
    title: "Continued pre-training (CPT)",
    sentence: "Keeps training on raw text; use it to teach the model a domain's vocabulary and facts before any chat tuning.",
  },
  dpo: {
    title: "Direct preference optimisation (DPO)",
    sentence: "Learns from pairs of a better and a worse answer; use it after SFT to steer style and quality.",
  },
  orpo: {
    title: "ORPO",
    sentence: "SFT and preference learning in one stage without a reference model; use it when you only have preference pairs.",
  },
  kto: {
    title: "KTO",
    sentence: "Learns from single answers marked good or bad; use it when you have thumbs-up/down feedback instead of pairs.",
  },
  simpo: {
    title: "SimPO",
    sentence: "Reference-free preference optimisation that favours concise answers; a lighter alternative to DPO.",
  },
  cpo: {
    title: "CPO",
    sentence: "Preference learning plus SFT on the chosen answer; use it when the chosen answers are good enough to imitate.",
  },
  grpo: {
    title: "GRPO (reinforcement learning)",
    sentence: "Generates several answers per prompt and rewards the better ones; use it when answers can be checked automatically.",
  },
  reward: {
    title: "Reward model",
    sentence: "Trains a scorer from preference pairs; use it to rate answers, or as a GRPO reward.",
  },
};

export const ADAPTER_HELP: Record<string, { title: string; sentence: string }> = {
  full: {
    title: "Full fine-tuning",
    sentence: "Updates every weight; use it for small models or when you have plenty of GPU memory.",
  },
  lora: {
    title: "LoRA",
    sentence: "Trains small add-on matrices and leaves the model frozen; the usual choice — fast, light and easy to share.",
  },
  qlora: {
    title: "QLoRA",
    sentence: "LoRA on a 4-bit copy of the model; use it when the model would not fit in memory otherwise.",
  },
};
