import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/Page";

export function TrainingRoute() {
  return (
    <>
      <PageHeader title="Training" description="Fine-tuning jobs for your team, queued, running and finished." />
      <EmptyState title="No training jobs yet">
        <p>
          Configure a job in a wizard: the method (SFT, continued pre-training, DPO, ORPO, KTO, SimPO/CPO, GRPO or a
          reward model), the adapter (full, LoRA or QLoRA), the dataset version and the hyperparameters, with a
          memory, time and cost estimate before launch. Run it on a local worker or on Modal cloud GPUs and watch
          loss, metrics and logs live; cancelling keeps the last checkpoint.
        </p>
      </EmptyState>
    </>
  );
}
