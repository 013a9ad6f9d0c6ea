import type { ReactNode } from "react";
import { ApiError } from "@/lib/api/errors";
import { cn } from "./cn";

/** Failure feedback. Shows an API error's `detail` verbatim. */
export function ErrorAlert({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  const detail = apiError?.detail ?? (error instanceof Error ? error.message : String(error));
  const extraFields = apiError?.fields.filter((field) => field.message !== detail) ?? [];
  return (
    <div
      role="alert"
      className={cn("rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800", className)}
    >
      <p>{detail}</p>
      {extraFields.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {extraFields.map((field) => (
            <li key={`${field.field}:${field.message}`}>{field.message}</li>
          ))}
        </ul>
      )}
      {apiError && apiError.status >= 500 && apiError.requestId && (
        <p className="mt-1 text-xs text-red-700">Request ID: {apiError.requestId}</p>
      )}
    </div>
  );
}

/** Success feedback, announced politely by screen readers. */
export function StatusMessage({ children, className }: { children: ReactNode; className?: string }) {
  if (!children) return null;
  return (
    <p
      role="status"
      data-tone="success"
      className={cn("rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800", className)}
    >
      {children}
    </p>
  );
}

const noticeTones = {
  info: "border-slate-200 bg-slate-50 text-slate-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
} as const;

/** Neither success nor failure: something to know (saved but not checked, signed out and why). */
export function Notice({
  tone = "info",
  children,
  className,
}: {
  tone?: keyof typeof noticeTones;
  children: ReactNode;
  className?: string;
}) {
  if (!children) return null;
  return (
    <div role="status" data-tone={tone} className={cn("rounded-md border px-3 py-2 text-sm", noticeTones[tone], className)}>
      {children}
    </div>
  );
}
