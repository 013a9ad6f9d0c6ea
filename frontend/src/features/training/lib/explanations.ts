// One plain sentence per adapter: what it is and when to use it (the wizard's goal step). Methods
// describe themselves: their titles and sentences come from /api/info (the training library's catalogue).
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
