import { useSyncExternalStore } from "react";
import type { TeamSummary } from "@/lib/api/types";
import { useMe } from "./me";

/**
 * The active team: every page shows its data. Chosen with the team switcher in the navigation and
 * kept in localStorage (shared by tabs); a team the user is no longer in falls back to their
 * personal team.
 */
const STORAGE_KEY = "tuneforge.activeTeam";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setCurrentTeamId(teamId: string | null): void {
  try {
    if (teamId) window.localStorage.setItem(STORAGE_KEY, teamId);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode): the choice lasts until the page reloads.
  }
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

export function useCurrentTeamId(): string | null {
  return useSyncExternalStore(subscribe, read, () => null);
}

/** The team whose resources the pages show: the chosen one, else the personal team. */
export function useCurrentTeam(): { team: TeamSummary | undefined; isPending: boolean; error: unknown } {
  const me = useMe();
  const chosen = useCurrentTeamId();
  const teams = me.data?.teams ?? [];
  const team = teams.find((t) => t.id === chosen) ?? teams.find((t) => t.personal) ?? teams[0];
  return { team, isPending: me.isPending, error: me.error };
}
