import { useEffect, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { Logo } from "@/components/ui/Logo";
import { Toaster } from "@/components/ui/Toaster";
import { useLogout } from "@/features/auth";
import { useMe } from "@/lib/auth/me";
import { JobFinishedNotifier } from "./JobFinishedNotifier";
import { TeamSwitcher } from "./TeamSwitcher";

const sections = [
  { to: "/dashboard", label: "Dashboard", icon: "M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10" },
  { to: "/datasets", label: "Datasets", icon: "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3" },
  { to: "/models", label: "Models", icon: "M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zm0 0v18M4 7.5l8 4.5 8-4.5" },
  { to: "/playground", label: "Playground", icon: "M4 5h16v10H9l-5 4V5zm4 4h8m-8 3h5" },
  { to: "/training", label: "Training", icon: "M3 17l5-5 4 4 8-8M14 8h6v6" },
  { to: "/team", label: "Team", icon: "M16 19v-1a4 4 0 00-8 0v1M12 11a3 3 0 100-6 3 3 0 000 6zm7 8v-1a3 3 0 00-2-2.8M17 5.2a3 3 0 010 5.6" },
  { to: "/settings", label: "Settings", icon: "M12 15a3 3 0 100-6 3 3 0 000 6zm7.4-3a7.4 7.4 0 00-.1-1.2l2-1.6-2-3.4-2.4 1a7.6 7.6 0 00-2-1.2L14.5 3h-4l-.4 2.6a7.6 7.6 0 00-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 000 2.4l-2 1.6 2 3.4 2.4-1a7.6 7.6 0 002 1.2l.4 2.6h4l.4-2.6a7.6 7.6 0 002-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z" },
] as const;

export function AppShell() {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const logoutMutation = useLogout();

  // On a phone the menu covers the page: close it once the user has picked a section.
  useEffect(() => setMenuOpen(false), [location.pathname]);

  function logOut() {
    logoutMutation.mutate(undefined, { onSettled: () => navigate("/login", { replace: true }) });
  }

  const userName = me.data ? me.data.display_name || me.data.email : "";

  return (
    <div className="min-h-dvh md:grid md:grid-cols-[15rem_1fr]">
      <a
        href="#main-content"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      {/* The column carries the background and border, so they run the whole height of a long page;
          the sidebar inside it stays in view while the page scrolls (and scrolls itself if taller). */}
      <div className="border-b border-slate-200 bg-white md:border-b-0 md:border-r">
        <aside className="md:sticky md:top-0 md:max-h-dvh md:overflow-y-auto">
          <div className="flex h-14 items-center justify-between px-4">
            <Logo />
            <button
              type="button"
              className="rounded-md p-2 text-slate-700 hover:bg-slate-100 md:hidden"
              aria-expanded={menuOpen}
              aria-controls="main-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              <span className="sr-only">{menuOpen ? "Close menu" : "Open menu"}</span>
              <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth={2}>
                <path d={menuOpen ? "M6 6l12 12M18 6L6 18" : "M4 6h16M4 12h16M4 18h16"} />
              </svg>
            </button>
          </div>
          <nav id="main-nav" aria-label="Main" className={cn("pb-3 md:block", menuOpen ? "block" : "hidden")}>
            <TeamSwitcher />
            <ul className="space-y-1 px-3">
              {sections.map((section) => (
                <li key={section.to}>
                  <NavLink
                    to={section.to}
                    className={({ isActive }) =>
                      cn(
                        "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium",
                        isActive ? "bg-indigo-50 text-indigo-700" : "text-slate-700 hover:bg-slate-100",
                      )
                    }
                  >
                    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5 shrink-0" fill="none" stroke="currentColor" strokeWidth={1.7} strokeLinecap="round" strokeLinejoin="round">
                      <path d={section.icon} />
                    </svg>
                    {section.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </aside>
      </div>
      <div className="flex min-w-0 flex-col">
        <header className="flex h-14 items-center justify-end gap-3 border-b border-slate-200 bg-white px-4 sm:px-6">
          <span className="truncate text-sm text-slate-700" title={me.data?.email}>
            {userName}
          </span>
          <Button variant="secondary" onClick={logOut} pending={logoutMutation.isPending}>
            Log out
          </Button>
        </header>
        <main id="main-content" className="mx-auto w-full max-w-5xl flex-1 px-4 py-6 sm:px-6 lg:py-8">
          <Outlet />
        </main>
      </div>
      <JobFinishedNotifier />
      <Toaster />
    </div>
  );
}
