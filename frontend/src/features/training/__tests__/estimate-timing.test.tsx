import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { EstimateAccuracy, EstimateRead, JobRead, TargetEstimate } from "@/lib/api/types";
import { EstimateVsActual } from "../components/EstimateTiming";
import { TargetStep } from "../components/wizard/TargetStep";
import { formatDurationRange } from "../lib/format";
import { emptyForm } from "../lib/wizard-form";

const phases = [
  { name: "startup", label: "Start-up (process, imports; on Modal the container)", seconds: 5.8 },
  { name: "loading_model", label: "Loading the model and tokenizer", seconds: 0.8 },
  { name: "tokenizing", label: "Tokenising the rows", seconds: 0.1 },
  { name: "training", label: "Training steps", seconds: 31.2 },
  { name: "saving", label: "Saving the weights", seconds: 0.1 },
  { name: "evaluating", label: "Evaluating (held-out loss, generated answers)", seconds: 43.0 },
];

const local: TargetEstimate = {
  executor: "local", worker: "box", device_name: "x86_64", device_type: "cpu", fits: true, peak_memory_gib: 1.6,
  total_seconds: 31, total_steps: 10, wall_seconds: 81, wall_seconds_low: 60.8, wall_seconds_high: 121.5,
  range_factors: { low: 0.75, high: 1.5 }, phases,
};
const t4: TargetEstimate = {
  executor: "modal", gpu_type: "T4", device_name: "T4", device_type: "cuda", fits: true, peak_memory_gib: 2,
  total_seconds: 2, total_steps: 10, wall_seconds: 90, wall_seconds_low: 54, wall_seconds_high: 180,
  cost_usd: 0.01, cost_usd_low: 0.01, cost_usd_high: 0.03, phases,
};
const estimate: EstimateRead = {
  chosen: local, targets: [local, t4], price_table_date: "2026-11-22", facts: { provider: "hf" }, spec_yaml: "",
};
const accuracy: EstimateAccuracy = {
  limit: 12, jobs: 13, median_ratio: 1.1, low_ratio: 0.8, high_ratio: 3.7, within_range: 11,
  groups: [
    { executor: "local", device_type: "cpu", jobs: 12, median_ratio: 1.1, low_ratio: 0.8, high_ratio: 1.3 },
    { executor: "modal", device_type: "cuda", jobs: 1, median_ratio: 2.0, low_ratio: 2.0, high_ratio: 2.0 },
  ],
};

function renderStep(executor: "local" | "modal") {
  const form = { ...emptyForm(), executor, gpu_type: executor === "modal" ? "T4" : "" };
  return render(
    <MemoryRouter>
      <TargetStep form={form} update={() => {}} workers={[]} estimate={estimate} estimateError={null} estimating={false}
        hasModalToken accuracy={accuracy} />
    </MemoryRouter>,
  );
}

describe("time estimates", () => {
  it("shows each target's time as a range with its phases, and how close this server's estimates have been", async () => {
    const user = userEvent.setup();
    renderStep("local");
    const row = screen.getByRole("row", { name: /box/ });
    expect(row).toHaveTextContent("1–2 min");
    expect(row).toHaveTextContent("10 steps");
    // The phases fold open.
    const details = within(row).getByText("Phases").closest("details")!;
    expect(details).not.toHaveAttribute("open");
    await user.click(within(row).getByText("Phases"));
    expect(details).toHaveAttribute("open");
    expect(within(details).getByText("Training steps").parentElement).toHaveTextContent("31 s");
    expect(within(details).getByText("Loading the model").parentElement).toHaveTextContent("0.8 s");
    // Modal: the cost range of the time range.
    expect(screen.getByRole("row", { name: /Modal T4/ })).toHaveTextContent("$0.01–$0.03");
    expect(screen.getByTestId("estimate-accuracy")).toHaveTextContent(
      "Estimates on this server have been within 0.8×–1.3× of actual for the last 12 local CPU jobs (median 1.1×",
    );
  });

  it("on Modal, says what this server's Modal record suggests when it ran far off its estimates", () => {
    renderStep("modal");
    const note = screen.getByTestId("estimate-accuracy");
    expect(note).toHaveTextContent("within 2.0× of actual for the last 1 Modal job (median 2.0×");
    expect(note).toHaveTextContent("At that median, this job would take 2–6 min.");
  });

  it("formats ranges people read", () => {
    expect(formatDurationRange(6.3, 12.6)).toBe("6–13 s");
    expect(formatDurationRange(60.8, 121.5)).toBe("1–2 min");
    expect(formatDurationRange(45, 130)).toBe("45 s – 2 min 10 s");
    expect(formatDurationRange(3000, 7200)).toBe("50 min 00 s – 2 h 00 min");
  });

  it("puts what a finished job took next to what was estimated, phase by phase", async () => {
    const user = userEvent.setup();
    const job = {
      id: "j", finished_at: "2026-11-22T01:00:00Z", estimate: { chosen: local },
      timing: {
        actual_seconds: 94, executor: "local", device_type: "cpu", resumed: false,
        actual_phases: [{ name: "startup", seconds: 9.1 }, { name: "training", seconds: 40.2 }, { name: "evaluating", seconds: 44.7 }],
        estimated_seconds: 81, estimated_low: 60.8, estimated_high: 121.5, ratio: 1.16,
        estimated_phases: phases.map(({ name, seconds }) => ({ name, seconds })),
      },
    } as unknown as JobRead;
    render(<EstimateVsActual job={job} />);
    const line = screen.getByTestId("estimate-vs-actual");
    expect(line).toHaveTextContent("Estimated 1–2 min, took 1 min 34 s (1.2× the estimate).");
    await user.click(screen.getByText("Phases: estimated and actual"));
    expect(screen.getByRole("row", { name: /Training steps/ })).toHaveTextContent("Training steps31 s40 s");
    expect(screen.getByRole("row", { name: /Tokenising/ })).toHaveTextContent("Tokenising0.1 s—");
  });

  it("before the job ends, shows the estimate it was launched with", () => {
    const job = { id: "j", finished_at: null, estimate: { chosen: local }, timing: null } as unknown as JobRead;
    render(<EstimateVsActual job={job} />);
    expect(screen.getByTestId("estimate-vs-actual")).toHaveTextContent("Estimated 1–2 min in all.");
  });
});
