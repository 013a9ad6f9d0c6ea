import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import {
  askNotificationPermission,
  jobNotificationsWanted,
  notificationSupport,
  setJobNotificationsWanted,
  type NotificationSupport,
} from "@/lib/notifications";

/** Opt-in browser notifications when a team job finishes (the in-app toast is always on). */
export function NotificationsSection() {
  const [support, setSupport] = useState<NotificationSupport>(notificationSupport);
  const [wanted, setWanted] = useState(jobNotificationsWanted);
  const [asking, setAsking] = useState(false);
  const on = wanted && support === "granted";

  async function turnOn() {
    setAsking(true);
    const answer = await askNotificationPermission();
    setAsking(false);
    setSupport(answer);
    setJobNotificationsWanted(answer === "granted");
    setWanted(answer === "granted");
  }

  function turnOff() {
    setJobNotificationsWanted(false);
    setWanted(false);
  }

  return (
    <Card
      title="Notifications"
      description="TuneForge shows a message in the app when a job of your team finishes. It can also tell you through your browser while you work in another tab."
    >
      <div className="max-w-xl space-y-3">
        {support === "unsupported" ? (
          <Notice>This browser cannot show notifications; the in-app messages still appear.</Notice>
        ) : support === "denied" ? (
          <ErrorAlert error="Your browser blocks notifications from this site. Allow them in the browser's site settings, then come back here." />
        ) : on ? (
          <>
            <StatusMessage>Browser notifications are on for finished jobs (in this browser).</StatusMessage>
            <Button variant="secondary" onClick={turnOff}>
              Turn off browser notifications
            </Button>
          </>
        ) : (
          <>
            <p className="text-sm text-slate-600">
              {support === "granted"
                ? "Your browser already allows notifications from TuneForge."
                : "Your browser will ask whether TuneForge may show notifications."}
            </p>
            <Button onClick={() => void turnOn()} pending={asking}>
              Notify me when a job finishes
            </Button>
          </>
        )}
      </div>
    </Card>
  );
}
