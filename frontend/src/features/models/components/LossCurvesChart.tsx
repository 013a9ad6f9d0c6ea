import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { CompareRead } from "@/lib/api/types";
import { TOOLTIP_ITEM_STYLE, TOOLTIP_LABEL_STYLE } from "@/lib/chart-tooltip";

const COLORS = ["#4f46e5", "#f59e0b", "#16a34a", "#dc2626", "#0891b2", "#9333ea", "#db2777", "#475569"];

type Row = { step: number } & Record<string, number | undefined>;

/** Train (solid) and eval (dashed) loss of every compared version, overlaid on one chart. Loaded lazily (Recharts). */
export function LossCurvesChart({ data }: { data: CompareRead }) {
  const rows = new Map<number, Row>();
  data.loss_curves.forEach((curve, index) => {
    for (const point of curve.points) {
      const row = rows.get(point.step) ?? { step: point.step };
      if (point.loss != null) row[`loss_${index}`] = point.loss;
      if (point.eval_loss != null) row[`eval_${index}`] = point.eval_loss;
      rows.set(point.step, row);
    }
  });
  const sorted = [...rows.values()].sort((a, b) => a.step - b.step);
  if (sorted.length === 0) return <p className="text-sm text-slate-600">No loss events were recorded for these versions.</p>;
  return (
    <div className="h-72" data-testid="loss-curves">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={sorted}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} />
          {/* Around the losses, not from 0: small differences between runs are what a comparison is for. */}
          <YAxis domain={["auto", "auto"]} tickFormatter={(v: number) => v.toPrecision(3)} width={56} />
          <Tooltip itemStyle={TOOLTIP_ITEM_STYLE} labelStyle={TOOLTIP_LABEL_STYLE} />
          <Legend />
          {data.versions.map((version, index) => [
            <Line
              key={`loss_${index}`}
              dataKey={`loss_${index}`}
              name={`${version.model_name} v${version.number} train`}
              stroke={COLORS[index % COLORS.length]}
              dot={false}
              connectNulls
            />,
            <Line
              key={`eval_${index}`}
              dataKey={`eval_${index}`}
              name={`${version.model_name} v${version.number} eval`}
              stroke={COLORS[index % COLORS.length]}
              strokeDasharray="5 4"
              connectNulls
            />,
          ])}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
