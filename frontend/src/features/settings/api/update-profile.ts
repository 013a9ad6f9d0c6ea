import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { MeUpdate, UserRead } from "@/lib/api/types";
import { meQueryKey } from "@/lib/auth/me";

export function updateProfile(changes: MeUpdate): Promise<UserRead> {
  return unwrap(api.PATCH("/api/auth/me", { body: changes }));
}

export function updateProfileMutationOptions(queryClient: QueryClient) {
  return mutationOptions({
    mutationKey: ["auth", "me", "update"],
    mutationFn: updateProfile,
    onSuccess: (user) => queryClient.setQueryData(meQueryKey, user),
  });
}

export function useUpdateProfile() {
  return useMutation(updateProfileMutationOptions(useQueryClient()));
}
