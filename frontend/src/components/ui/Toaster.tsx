import { useSyncExternalStore } from "react";
import { Link } from "react-router";
import { cn } from "./cn";

export type ToastTone = "success" | "error" | "info";
export type Toast = {
  id: number;
  title: string;
  body?: string;
  tone: ToastTone;
  link?: { to: string; label: string };
};

const DISMISS_AFTER_MS = 10_000;

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());

/** Shows a short message in the corner of the app; it goes away by itself or when closed. */
export function showToast(toast: Omit<Toast, "id">): number {
  const id = nextId++;
  toasts = [...toasts, { ...toast, id }].slice(-4);
  notify();
  setTimeout(() => dismissToast(id), DISMISS_AFTER_MS);
  return id;
}

export function dismissToast(id: number) {
  if (!toasts.some((toast) => toast.id === id)) return;
  toasts = toasts.filter((toast) => toast.id !== id);
  notify();
}

/** Test helper. */
export function clearToasts() {
  toasts = [];
  notify();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const tones: Record<ToastTone, string> = {
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
  error: "border-red-200 bg-red-50 text-red-900",
  info: "border-slate-200 bg-white text-slate-900",
};

/** Where toasts appear; mounted once by the app shell. */
export function Toaster() {
  const current = useSyncExternalStore(subscribe, () => toasts, () => toasts);
  return (
    <div
      role="region"
      aria-label="Notifications"
      className="pointer-events-none fixed bottom-4 right-4 z-50 flex w-80 max-w-[calc(100vw-2rem)] flex-col gap-2"
    >
      <ul aria-live="polite" className="contents">
        {current.map((toast) => (
          <li
            key={toast.id}
            data-tone={toast.tone}
            className={cn("pointer-events-auto rounded-lg border p-3 text-sm shadow-lg", tones[toast.tone])}
          >
            <div className="flex items-start justify-between gap-2">
              <p className="font-semibold">{toast.title}</p>
              <button
                type="button"
                onClick={() => dismissToast(toast.id)}
                className="-m-1 rounded p-1 text-current opacity-70 hover:opacity-100"
              >
                <span className="sr-only">Dismiss</span>
                <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth={2}>
                  <path d="M6 6l12 12M18 6L6 18" />
                </svg>
              </button>
            </div>
            {toast.body && <p className="mt-0.5">{toast.body}</p>}
            {toast.link && (
              <Link to={toast.link.to} onClick={() => dismissToast(toast.id)} className="mt-1 inline-block font-medium underline">
                {toast.link.label}
              </Link>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
