import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { EvalSample } from "../api/get-evaluation-report";
import { checkpointOf, groupArtifacts } from "../components/ArtifactsList";
import { EvalResults, methodHeadline } from "../components/EvalResults";
import { chartsFor, MetricCharts, mergeRows } from "../components/MetricCharts";
import type { MetricPoint } from "../lib/job-stream";

const keysOf = (method: string, seen: string[] = []) =>
  chartsFor(method, new Set(seen)).map((c) => [c.title, c.series.map((s) => s.key)] as const);

const LOSSES = new Set(["loss", "eval_loss"]);

describe("charts per method", () => {
  it("gives SFT its loss and the trainer's health, and no reward charts", () => {
    const titles = keysOf("sft").map(([title]) => title);
    expect(titles).toEqual(["Loss", "Learning rate", "Grad norm", "Tokens per second", "Memory (MB)"]);
  });

  it("gives DPO, ORPO and SimPO reward accuracy, margins and chosen vs rejected log-probs on charts of their own", () => {
    for (const method of ["dpo", "orpo", "simpo", "cpo"]) {
      const charts = Object.fromEntries(keysOf(method));
      expect(charts["Reward accuracy"]).toEqual(["rewards/accuracies", "eval_rewards/accuracies"]);
      expect(charts["Reward margin"]).toEqual(["rewards/margins", "eval_rewards/margins"]);
      expect(charts["Log-probabilities: chosen vs rejected"]).toEqual(["logps/chosen", "logps/rejected"]);
      expect(charts["Rewards: chosen vs rejected"]).toEqual(["rewards/chosen", "rewards/rejected"]);
    }
    expect(Object.fromEntries(keysOf("orpo"))["Log odds"]).toEqual(["log_odds_chosen", "log_odds_ratio"]);
  });

  it("gives KTO desirable vs undesirable rewards and its KL", () => {
    const charts = chartsFor("kto");
    const rewards = charts.find((c) => c.title === "Rewards: desirable vs undesirable")!;
    expect(rewards.series.map((s) => [s.key, s.name])).toEqual([
      ["rewards/chosen", "desirable"],
      ["rewards/rejected", "undesirable"],
    ]);
    expect(charts.map((c) => c.title)).toContain("KL to the reference");
  });

  it("gives GRPO its reward mean and spread, overall and per reward function", () => {
    const charts = Object.fromEntries(
      keysOf("grpo", ["reward", "reward_std", "rewards/length_target/mean", "rewards/length_target/std", "rewards/reward_model/mean"]),
    );
    expect(charts["Reward (all functions)"]).toEqual(["reward", "reward_std"]);
    expect(charts["Reward: length_target"]).toEqual(["rewards/length_target/mean", "rewards/length_target/std"]);
    expect(charts["Reward: reward_model"]).toEqual(["rewards/reward_model/mean", "rewards/reward_model/std"]);
  });

  it("never puts a loss on the same axis as anything else", () => {
    for (const method of ["sft", "cpt", "dpo", "orpo", "simpo", "cpo", "kto", "grpo", "reward"]) {
      for (const [title, keys] of keysOf(method, ["rewards/f/mean"])) {
        const losses = keys.filter((k) => LOSSES.has(k));
        if (losses.length) expect([title, keys.length]).toEqual([title, losses.length]);
      }
    }
  });

  it("draws a DPO run's reward charts from its metric and eval events", async () => {
    const point = (step: number, extra: Record<string, number>, loss?: number): MetricPoint => ({
      step, attempt: 1, time: step, loss, extra,
    });
    const train = [1, 2, 3].map((step) =>
      point(step, { "rewards/accuracies": step / 4, "rewards/margins": step / 2, "logps/chosen": -20, "logps/rejected": -21 }, 1 - step / 4),
    );
    const evals = [{ ...point(3, { "rewards/accuracies": 0.75 }), eval_loss: 0.6 }];
    expect(mergeRows(train, evals).at(-1)).toMatchObject({ step: 3, loss: 0.25, eval_loss: 0.6, "eval_rewards/accuracies": 0.75 });
    render(<MetricCharts train={train} evals={evals} method="dpo" />);
    expect(await screen.findByRole("figure", { name: "Reward accuracy chart" })).toHaveAttribute("data-points", "3");
    const summary = within(screen.getByRole("figure", { name: "Reward accuracy chart" })).getByTestId("chart-summary");
    expect(summary).toHaveTextContent("eval accuracy 0.75 at step 3");
    expect(screen.getByRole("figure", { name: "Log-probabilities: chosen vs rejected chart" })).toBeInTheDocument();
    // No KTO or GRPO charts, and none without points.
    expect(screen.queryByRole("figure", { name: /desirable/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("figure", { name: "Grad norm chart" })).not.toBeInTheDocument();
  });
});

const samples: EvalSample[] = Array.from({ length: 7 }, (_, i) => ({
  prompt: [{ role: "user", content: `What is ${i} plus ${i}?` }],
  reference: String(i + i),
  base: `I think it is ${i}`,
  fine_tuned: String(i + i),
  scores: { base: { token_f1: 0 }, fine_tuned: { token_f1: 1 } },
}));

describe("the evaluation card", () => {
  it("shows the sample answers side by side: prompt, reference, base, fine-tuned", async () => {
    const user = userEvent.setup();
    render(<EvalResults evaluation={{ eval_loss: 1.2, perplexity: 3.3 }} method="sft" samples={samples} />);
    const list = screen.getByRole("list", { name: "Sample answers" });
    expect(screen.getByRole("heading", { name: "Sample answers (7)" })).toBeInTheDocument();
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(5); // the first five, then a button for all
    const third = within(list).getByRole("listitem", { name: "Sample 3" });
    expect(third).toHaveTextContent(/^PromptWhat is 2 plus 2\?/);
    expect(within(third).getByTestId("sample-reference")).toHaveTextContent("Reference4");
    expect(within(third).getByTestId("sample-base")).toHaveTextContent("Base modelI think it is 2token F1 0");
    expect(within(third).getByTestId("sample-fine-tuned")).toHaveTextContent("Fine-tuned4token F1 1");
    await user.click(screen.getByRole("button", { name: "Show all 7 samples" }));
    expect(within(list).getAllByRole("listitem")).toHaveLength(7);
  });

  it("leads with a preference method's own numbers and marks language-model loss as a comparison only", () => {
    render(
      <EvalResults
        method="dpo"
        evaluation={{
          eval_loss: 2.9,
          base_eval_loss: 3.1,
          method_metrics: { "rewards/accuracies": 0.8, "rewards/margins": 1.25, "logps/chosen": -12.5, "logps/rejected": -15 },
        }}
      />,
    );
    const own = screen.getByText("Reward accuracy").closest("dl")!;
    expect(own).toHaveAttribute("aria-label", "DPO metrics");
    expect(within(own).getByText("Reward accuracy").nextSibling).toHaveTextContent("0.8");
    expect(within(own).getByText("Reward margin").nextSibling).toHaveTextContent("1.25");
    expect(within(own).getByText("Rejected log-prob").nextSibling).toHaveTextContent("-15");
    expect(screen.queryByText("Eval loss")).not.toBeInTheDocument();
    expect(screen.getByText("LM loss on reference answers").nextSibling).toHaveTextContent("2.9");
    expect(screen.getByText(/does not train on language-model loss/)).toBeInTheDocument();
  });

  it("names KTO's rewards desirable and undesirable, and GRPO's per reward function", () => {
    expect(methodHeadline("kto", { "rewards/chosen": 0.4, "rewards/rejected": -0.2, "rewards/margins": 0.6, kl: 0.01 }).map(([l]) => l)).toEqual([
      "Desirable reward",
      "Undesirable reward",
      "Reward margin",
      "KL",
    ]);
    expect(methodHeadline("grpo", { reward: 0.5, reward_std: 0.1, "rewards/length/mean": 0.5, "rewards/length/std": 0.1 })).toEqual([
      ["Mean reward", 0.5],
      ["Reward spread (std)", 0.1],
      ["Reward: length (mean ± std)", "0.5 ± 0.1"],
    ]);
    expect(methodHeadline("sft", { loss: 1 })).toEqual([]);
  });
});

describe("the files card's grouping", () => {
  it("keeps checkpoints apart from the result, one group per checkpoint in step order", () => {
    expect(checkpointOf("checkpoints/checkpoint-10/optimizer.pt")).toBe("checkpoint-10");
    expect(checkpointOf("checkpoint-4/rng_state.pth")).toBe("checkpoint-4");
    expect(checkpointOf("adapter_model.safetensors")).toBeNull();
    const { result, checkpoints } = groupArtifacts([
      { path: "adapter_model.safetensors", size_bytes: 10 },
      { path: "checkpoints/checkpoint-10/optimizer.pt", size_bytes: 5 },
      { path: "checkpoints/checkpoint-2/optimizer.pt", size_bytes: 5 },
      { path: "checkpoints/checkpoint-2/rng_state.pth", size_bytes: 1 },
      { path: "README.md", size_bytes: 3 },
    ]);
    expect(result.map((a) => a.path)).toEqual(["adapter_model.safetensors", "README.md"]);
    expect(checkpoints.map(([folder, files]) => [folder, files.length])).toEqual([
      ["checkpoint-2", 2],
      ["checkpoint-10", 1],
    ]);
  });
});
