import { useSsoInfo, ssoStartUrl } from "../api/sso";

/** "Sign in with <provider>" when single sign-on is set up; nothing otherwise (or while asking). */
export function SsoButton({ next }: { next: string }) {
  const info = useSsoInfo();
  if (!info.data?.enabled) return null;
  return (
    <div className="mt-6">
      <div className="relative mb-4 text-center text-xs text-slate-500">
        <span className="bg-white px-2">or</span>
      </div>
      <a
        href={ssoStartUrl(next)}
        className="flex w-full items-center justify-center rounded-md bg-white px-3.5 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
      >
        Sign in with {info.data.label}
      </a>
    </div>
  );
}
