import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { meQueryKey } from "@/lib/auth/me";
import { onSessionEvent } from "@/lib/auth/session";

/** Keeps the query cache in step with the session: the new user on sign-in, nothing cached after sign-out. */
export function SessionSync() {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onSessionEvent((event) => {
        if (event.type === "started") queryClient.setQueryData(meQueryKey, event.user);
        else queryClient.clear();
      }),
    [queryClient],
  );
  return null;
}
