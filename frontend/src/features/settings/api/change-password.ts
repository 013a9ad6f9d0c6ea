import { mutationOptions, useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { PasswordChangeIn, TokenPair } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";

export function changePassword(input: PasswordChangeIn): Promise<TokenPair> {
  return unwrap(api.POST("/api/auth/password", { body: input }));
}

export function changePasswordMutationOptions() {
  // The server ends every other session and answers with a fresh pair for this one.
  return mutationOptions({ mutationKey: ["auth", "password"], mutationFn: changePassword, onSuccess: startSession });
}

export function useChangePassword() {
  return useMutation(changePasswordMutationOptions());
}
