import { useId } from "react";
import { setCurrentTeamId, useCurrentTeam } from "@/lib/auth/current-team";
import { useMe } from "@/lib/auth/me";

/** The active team, chosen in the navigation: every page shows its data. */
export function TeamSwitcher() {
  const me = useMe();
  const { team } = useCurrentTeam();
  const id = useId();
  const teams = me.data?.teams ?? [];
  if (!team) return null;
  return (
    <div className="px-3 pb-3">
      <label htmlFor={id} className="block px-1 pb-1 text-xs font-medium uppercase tracking-wide text-slate-500">
        Active team
      </label>
      <select
        id={id}
        value={team.id}
        onChange={(event) => setCurrentTeamId(event.target.value)}
        className="block w-full rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
      >
        {teams.map((t) => (
          <option key={t.id} value={t.id}>
            {t.personal ? `${t.name} (personal)` : t.name}
          </option>
        ))}
      </select>
    </div>
  );
}
