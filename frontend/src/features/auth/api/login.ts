import { mutationOptions, useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { LoginIn, TokenPair } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";

export function login(input: LoginIn): Promise<TokenPair> {
  return unwrap(api.POST("/api/auth/login", { body: input }));
}

export function loginMutationOptions() {
  return mutationOptions({ mutationKey: ["auth", "login"], mutationFn: login, onSuccess: startSession });
}

export function useLogin() {
  return useMutation(loginMutationOptions());
}
