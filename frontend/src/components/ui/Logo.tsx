export function Logo() {
  return (
    <span className="inline-flex items-center gap-2 text-lg font-bold tracking-tight text-slate-900">
      <svg aria-hidden="true" viewBox="0 0 32 32" className="size-7">
        <rect width="32" height="32" rx="7" fill="#4f46e5" />
        <path d="M9 23V9h14v4h-9v2h7v4h-7v4z" fill="#fff" />
      </svg>
      TuneForge
    </span>
  );
}
