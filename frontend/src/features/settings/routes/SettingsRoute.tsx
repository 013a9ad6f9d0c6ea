import { ErrorAlert } from "@/components/ui/Feedback";
import { PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useMe } from "@/lib/auth/me";
import { useCredentials } from "@/lib/api/get-credentials";
import { ApiTokensSection } from "../components/ApiTokensSection";
import { HuggingFaceTokenSection } from "../components/HuggingFaceTokenSection";
import { ModalTokenSection } from "../components/ModalTokenSection";
import { NotificationsSection } from "../components/NotificationsSection";
import { PasswordSection } from "../components/PasswordSection";
import { ProfileSection } from "../components/ProfileSection";

export function SettingsRoute() {
  const me = useMe();
  const credentials = useCredentials();
  const find = (provider: "huggingface" | "modal") => credentials.data?.find((item) => item.provider === provider);

  return (
    <>
      <PageHeader title="Settings" description="Your profile, password and the tokens TuneForge uses on your behalf." />
      <div className="space-y-6">
        {me.data ? <ProfileSection user={me.data} /> : me.error ? <ErrorAlert error={me.error} /> : null}
        <PasswordSection />
        {credentials.error ? (
          <ErrorAlert error={credentials.error} />
        ) : credentials.isPending ? (
          <PageLoader label="Loading saved tokens…" />
        ) : (
          <>
            <HuggingFaceTokenSection credential={find("huggingface")} />
            <ModalTokenSection credential={find("modal")} />
          </>
        )}
        <ApiTokensSection />
        <NotificationsSection />
      </div>
    </>
  );
}
