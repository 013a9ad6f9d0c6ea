import { Link } from "react-router";
import { StatusMessage } from "@/components/ui/Feedback";
import type { FeedbackSaved } from "@/lib/api/types";
import { savedInWords, trainLink } from "../lib/conversation";

/** "Saved to Playground preferences v3 (3 rows)" and a link to train on it, from `versionId`. */
export function SavedNotice({ saved, versionId }: { saved: FeedbackSaved; versionId: string | null | undefined }) {
  return (
    <StatusMessage>
      {savedInWords(saved)}.{" "}
      <Link className="font-medium text-emerald-900 underline" to={trainLink(saved, versionId)}>
        Train on this feedback
      </Link>
    </StatusMessage>
  );
}
