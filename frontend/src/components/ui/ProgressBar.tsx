import { cn } from "./cn";

/**
 * A labelled progress bar (role="progressbar"). Without `max`, it pulses while `busy` (work
 * under way, length unknown) and stays empty otherwise.
 */
export function ProgressBar({
  value,
  max,
  label,
  busy = true,
  className,
}: {
  value: number;
  max: number | null | undefined;
  label: string;
  busy?: boolean;
  className?: string;
}) {
  const known = Boolean(max && max > 0);
  const percent = known ? Math.min(100, Math.max(0, (value / (max as number)) * 100)) : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={known ? (max as number) : undefined}
      aria-valuenow={known ? value : undefined}
      className={cn("h-2 w-full overflow-hidden rounded-full bg-slate-200", className)}
    >
      <div
        className={cn(
          "h-full rounded-full bg-indigo-600 transition-[width] duration-300",
          !known && (busy ? "w-1/3 animate-pulse" : "w-0"),
        )}
        style={known ? { width: `${percent}%` } : undefined}
      />
    </div>
  );
}
