import { useRef } from "react";
import { useNavigate } from "react-router";
import { showToast, type ToastTone } from "@/components/ui/Toaster";
import { api } from "@/lib/api/client";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { notifyInBrowser } from "@/lib/notifications";
import { useTeamFeed } from "@/lib/realtime/use-team-feed";

const FINISHED: Record<string, { verb: string; tone: ToastTone }> = {
  succeeded: { verb: "finished", tone: "success" },
  failed: { verb: "failed", tone: "error" },
  cancelled: { verb: "was cancelled", tone: "info" },
};

async function jobName(jobId: string): Promise<string | null> {
  try {
    const { data } = await api.GET("/api/jobs/{job_id}", { params: { path: { job_id: jobId } } });
    return data?.name ?? null;
  } catch {
    return null;
  }
}

/**
 * Says when a job of the team finishes, wherever the user is in the app: a toast, and a browser
 * notification when the user opted in (Settings) and the tab is in the background.
 */
export function JobFinishedNotifier() {
  const { team } = useCurrentTeam();
  const navigate = useNavigate();
  const told = useRef(new Set<string>());

  useTeamFeed(team?.id, (message) => {
    const outcome = message && FINISHED[message.status];
    if (!message || !outcome) return;
    const key = `${message.job_id}:${message.status}`;
    if (told.current.has(key)) return;
    told.current.add(key);
    const to = `/training/${message.job_id}`;
    void jobName(message.job_id).then((name) => {
      const title = `${name ? `“${name}”` : "A training job"} ${outcome.verb}`;
      const body =
        message.status === "succeeded"
          ? "Its metrics and files are on the job page."
          : message.status === "failed"
            ? "The job page says what went wrong and what to try."
            : "It stopped at your request.";
      showToast({ title, body, tone: outcome.tone, link: { to, label: "Open the job" } });
      notifyInBrowser(`TuneForge: ${title}`, body, `tuneforge-job-${key}`, () => navigate(to));
    });
  });
  return null;
}
