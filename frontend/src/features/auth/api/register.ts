import { mutationOptions, useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { RegisterIn, TokenPair } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";

export function register(input: RegisterIn): Promise<TokenPair> {
  return unwrap(api.POST("/api/auth/register", { body: input }));
}

export function registerMutationOptions() {
  return mutationOptions({ mutationKey: ["auth", "register"], mutationFn: register, onSuccess: startSession });
}

export function useRegister() {
  return useMutation(registerMutationOptions());
}
