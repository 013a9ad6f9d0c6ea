import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { EmptyState } from "@/components/ui/EmptyState";
import { RoleLink } from "@/components/ui/RoleGate";
import { ErrorAlert } from "@/components/ui/Feedback";
import { PageHeader } from "@/components/ui/Page";
import { SelectField } from "@/components/ui/SelectField";
import { PageLoader } from "@/components/ui/Spinner";
import { TextField } from "@/components/ui/TextField";
import { useDebounced } from "@/lib/use-debounced";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useTeamFeed } from "@/lib/realtime/use-team-feed";
import { jobsKey } from "../api/keys";
import { useJobs } from "../api/list-jobs";
import { JobsTable } from "../components/JobsTable";

const STATUS_CHOICES = [
  { value: "", label: "Any status" },
  { value: "queued,running,cancelling", label: "Active (queued or running)" },
  ...["queued", "running", "interrupted", "succeeded", "failed", "cancelled"].map((s) => ({ value: s, label: s })),
];
const METHODS = ["sft", "cpt", "dpo", "orpo", "kto", "simpo", "cpo", "grpo", "reward"];

export function TrainingRoute() {
  const { team } = useCurrentTeam();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const filters = {
    status: params.get("status") ?? undefined,
    method: params.get("method") ?? undefined,
    created_by: params.get("member") ?? undefined,
    q: params.get("q") ?? undefined,
  };
  // The name search follows the box 300 ms behind (the server filters: the list is paged).
  const [search, setSearch] = useState(filters.q ?? "");
  const settledSearch = useDebounced(search.trim(), 300);
  const jobs = useJobs(team?.id, filters);
  // Everyone who launched a job, from an unfiltered page of the list (the member filter's choices).
  const everyone = useJobs(team?.id, { limit: 200 });
  useTeamFeed(team?.id, () => {
    if (team) void queryClient.invalidateQueries({ queryKey: jobsKey(team.id) });
  });

  const members = useMemo(() => {
    const byId = new Map<string, string>();
    for (const job of everyone.data?.items ?? []) {
      if (job.created_by) byId.set(job.created_by, job.created_by_name ?? "Someone");
    }
    return [...byId.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  }, [everyone.data]);

  function setFilter(name: string, value: string) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  }

  useEffect(() => {
    if ((params.get("q") ?? "") !== settledSearch) setFilter("q", settledSearch);
  }, [settledSearch]); // only when the settled search changes

  const filtered = Boolean(filters.status || filters.method || filters.created_by || filters.q);
  const newJobClass =
    "inline-flex items-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
  const newJob = (
    <RoleLink
      needs="member"
      action="launch jobs"
      className={newJobClass}
      link={
        <Link to="/training/new" className={newJobClass}>
          New job
        </Link>
      }
    >
      New job
    </RoleLink>
  );

  return (
    <>
      <PageHeader
        title="Training"
        description="Your team's fine-tuning jobs. Pick a method (SFT, continued pre-training, DPO, ORPO, KTO, SimPO/CPO, GRPO or a reward model) and an adapter in the wizard, then watch the run live."
        actions={newJob}
      />
      <form role="search" aria-label="Filter jobs" className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Name"
          type="search"
          placeholder="Search by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          maxLength={200}
        />
        <SelectField
          label="Status"
          value={filters.status ?? ""}
          onChange={(e) => setFilter("status", e.target.value)}
          options={STATUS_CHOICES}
        />
        <SelectField
          label="Method"
          value={filters.method ?? ""}
          onChange={(e) => setFilter("method", e.target.value)}
          options={[{ value: "", label: "Any method" }, ...METHODS.map((m) => ({ value: m, label: m.toUpperCase() }))]}
        />
        <SelectField
          label="Member"
          value={filters.created_by ?? ""}
          onChange={(e) => setFilter("member", e.target.value)}
          options={[{ value: "", label: "Anyone" }, ...members.map(([id, name]) => ({ value: id, label: name }))]}
        />
      </form>
      {jobs.error ? (
        <ErrorAlert error={jobs.error} />
      ) : !jobs.data ? (
        <PageLoader label="Loading jobs…" />
      ) : jobs.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No jobs match these filters">
            <p>Clear a filter to see more of your team's jobs.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No training jobs yet">
            <p>
              Configure a job in a wizard: the method, the adapter, the base model, the dataset version and the
              settings, with a memory, time and cost estimate before launch. Run it on a local worker or on Modal
              cloud GPUs and watch loss, metrics and logs live.
            </p>
            <div className="mt-4">{newJob}</div>
          </EmptyState>
        )
      ) : (
        <JobsTable jobs={jobs.data.items} total={jobs.data.total} />
      )}
    </>
  );
}
