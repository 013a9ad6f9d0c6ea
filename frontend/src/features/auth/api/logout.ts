import { mutationOptions, useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { endSession, getRefreshToken } from "@/lib/auth/session";

/** Revokes the refresh token on the server, then forgets both tokens whatever the answer. */
export async function logout(): Promise<void> {
  const refreshToken = getRefreshToken();
  try {
    if (refreshToken) await unwrap(api.POST("/api/auth/logout", { body: { refresh_token: refreshToken } }));
  } catch {
    // Signing out locally must still work when the server is unreachable.
  } finally {
    endSession({ byUser: true });
  }
}

export function logoutMutationOptions() {
  return mutationOptions({ mutationKey: ["auth", "logout"], mutationFn: logout });
}

export function useLogout() {
  return useMutation(logoutMutationOptions());
}
