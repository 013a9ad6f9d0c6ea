import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/Page";

export function ModelsRoute() {
  return (
    <>
      <PageHeader title="Models" description="Base models to start from and the model versions your training produces." />
      <EmptyState title="No model versions yet">
        <p>
          Pick a base model (the built-in tiny-llama and SmolLM2-135M-Instruct, or any Hugging Face Hub model your
          token can reach). Each finished training run adds a model version here: compare it with its base model,
          chat with it, and publish it to the Hugging Face Hub or into Ollama.
        </p>
      </EmptyState>
    </>
  );
}
