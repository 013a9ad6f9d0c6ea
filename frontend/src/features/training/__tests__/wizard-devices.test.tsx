import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { EstimateRead, JobCreate, WorkerInfo } from "@/lib/api/types";
import { ReviewSummary } from "../components/wizard/ReviewStep";
import { TargetStep } from "../components/wizard/TargetStep";
import { emptyForm, fromConfig, toJobCreate, type WizardForm } from "../lib/wizard-form";

function worker(name: string, maxDevices: number, gpus: number): WorkerInfo {
  return {
    name,
    hostname: name,
    executors: ["local"],
    devices: Array.from({ length: gpus }, (_, index) => ({ name: "RTX 4090", type: "cuda", index, total_memory_bytes: 24 * 2 ** 30 })),
    max_devices: maxDevices,
    max_concurrent_jobs: 1,
    version: "0.1.0",
    last_seen_at: "2026-11-22T01:00:00Z",
  };
}

/** The target step with the wizard's form state; `sent` is the JobCreate the wizard would send. */
function renderStep(workers: WorkerInfo[]) {
  const sent: { body?: JobCreate } = {};
  function Harness() {
    const [form, setForm] = useState<WizardForm>({ ...emptyForm(), dataset_version_id: "v1" });
    sent.body = toJobCreate(form);
    return (
      <TargetStep form={form} update={(patch) => setForm((f) => ({ ...f, ...patch }))} workers={workers}
        estimate={undefined} estimateError={null} estimating={false} hasModalToken />
    );
  }
  render(
    <MemoryRouter>
      <Harness />
    </MemoryRouter>,
  );
  return sent;
}

describe("training on several devices", () => {
  it("offers no Devices choice when no worker offers more than one, and says why", () => {
    const sent = renderStep([worker("gpu-box", 1, 1)]);
    expect(screen.queryByLabelText("Devices")).not.toBeInTheDocument();
    expect(screen.getByText(/Trains on one device: no online worker offers more/)).toBeInTheDocument();
    expect(sent.body?.devices).toBe(1);
  });

  it("offers up to the most a worker offers, sends the choice, and offers 1, 2, 4 or 8 GPUs on Modal", async () => {
    const user = userEvent.setup();
    const sent = renderStep([worker("gpu-box", 1, 1), worker("quad", 4, 4)]);
    expect(screen.getByText("quad: one job on up to 4 devices")).toBeInTheDocument();
    const devices = screen.getByLabelText("Devices");
    expect(within(devices).getAllByRole("option").map((o) => o.textContent)).toEqual(["1 device", "2 devices", "3 devices", "4 devices"]);
    await user.selectOptions(devices, "2");
    expect(sent.body).toMatchObject({ executor: "local", devices: 2 });
    expect(screen.getByText(/each step trains on 2 times as many rows/)).toBeInTheDocument();

    await user.click(screen.getByLabelText("Modal cloud GPU"));
    expect(within(screen.getByLabelText("Devices")).getAllByRole("option").map((o) => o.textContent)).toEqual(
      ["1 device", "2 devices", "4 devices", "8 devices"],
    );
    await user.selectOptions(screen.getByLabelText("Devices"), "8");
    expect(sent.body).toMatchObject({ executor: "modal", devices: 8 });
    expect(screen.getByText(/and every GPU is billed/)).toBeInTheDocument();
    // Back on the local workers, the choice comes down to what they offer.
    await user.click(screen.getByLabelText("Local workers"));
    expect(sent.body).toMatchObject({ executor: "local", devices: 4 });
  });

  it("keeps a saved job's devices when it is run again", () => {
    expect(fromConfig({ dataset_version_id: "v1", devices: 2 }, ["tiny-llama"]).devices).toBe(2);
    expect(fromConfig({ dataset_version_id: "v1" }, ["tiny-llama"]).devices).toBe(1);
  });

  it("reviews the devices and the global batch", () => {
    const body = { method: "sft", adapter: "lora", base_model: "tiny-llama", dataset_version_id: "v1", executor: "local", devices: 2 } as unknown as JobCreate;
    const estimate = {
      chosen: { executor: "local", worker: "quad", device_name: "RTX 4090", total_seconds: 42, fits: true, devices: 2, global_batch: 16 },
      targets: [],
    } as unknown as EstimateRead;
    render(<ReviewSummary body={body} estimate={estimate} datasets={[]} />);
    const summary = screen.getByRole("region", { name: "Summary" });
    expect(within(summary).getByText("Where").nextElementSibling).toHaveTextContent("Worker quad (2 × RTX 4090)");
    expect(within(summary).getByText("Batch").nextElementSibling).toHaveTextContent(
      "16 rows per step over 2 devices (the batch size is per device)",
    );
  });
});
