import type { ReactNode } from "react";

export function EmptyState({ title, children, icon }: { title: string; children: ReactNode; icon?: ReactNode }) {
  return (
    <section
      className="rounded-xl border-2 border-dashed border-slate-300 bg-white px-6 py-10 text-center"
    >
      {icon && <div className="mx-auto mb-3 flex size-12 items-center justify-center text-indigo-500">{icon}</div>}
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      <div className="mx-auto mt-2 max-w-xl text-sm text-slate-600">{children}</div>
    </section>
  );
}
