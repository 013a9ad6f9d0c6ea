/**
 * Browser notifications when a job finishes: opt-in from Settings, sent only while the browser
 * permits them and TuneForge is not the visible tab (when it is, the in-app toast says it).
 */
export const JOB_NOTIFICATIONS_KEY = "tuneforge.notify_job_finished";

export type NotificationSupport = "unsupported" | NotificationPermission;

export function notificationSupport(): NotificationSupport {
  return typeof window !== "undefined" && "Notification" in window ? window.Notification.permission : "unsupported";
}

export function jobNotificationsWanted(): boolean {
  try {
    return window.localStorage.getItem(JOB_NOTIFICATIONS_KEY) === "on";
  } catch {
    return false;
  }
}

export function setJobNotificationsWanted(on: boolean) {
  try {
    if (on) window.localStorage.setItem(JOB_NOTIFICATIONS_KEY, "on");
    else window.localStorage.removeItem(JOB_NOTIFICATIONS_KEY);
  } catch {
    // Storage refused: the preference lasts this page.
  }
}

/** Asks the browser (only ever from a click in Settings); returns what it answered. */
export async function askNotificationPermission(): Promise<NotificationSupport> {
  if (notificationSupport() === "unsupported") return "unsupported";
  return window.Notification.requestPermission();
}

/**
 * Shows a browser notification if the user opted in, the browser permits it and the page is
 * hidden. The tag makes several open tabs show it once. Returns whether one was shown.
 */
export function notifyInBrowser(title: string, body: string, tag: string, onClick?: () => void): boolean {
  if (!jobNotificationsWanted() || notificationSupport() !== "granted") return false;
  if (typeof document !== "undefined" && document.visibilityState === "visible") return false;
  try {
    const notification = new window.Notification(title, { body, tag });
    notification.onclick = () => {
      window.focus();
      onClick?.();
      notification.close();
    };
    return true;
  } catch {
    // Some browsers only allow notifications from a service worker: the toast is there.
    return false;
  }
}
