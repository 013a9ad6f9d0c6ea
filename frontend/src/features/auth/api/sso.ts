import { queryOptions, useQuery } from "@tanstack/react-query";
import { apiBaseUrl } from "@/lib/api/base-url";
import { unwrap } from "@/lib/api/errors";
import { publicApi } from "@/lib/api/public-client";
import type { TokenPair } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";

/** Whether single sign-on is set up, and the provider's name for the button. Asked before anyone signs in. */
export function ssoInfoQueryOptions() {
  return queryOptions({
    queryKey: ["auth", "sso"],
    queryFn: () => unwrap(publicApi.GET("/api/auth/sso")),
    staleTime: 5 * 60_000,
  });
}

export function useSsoInfo() {
  return useQuery(ssoInfoQueryOptions());
}

/** The button is a plain link: the browser goes to the API, which sends it on to the provider. */
export function ssoStartUrl(next: string): string {
  const query = next && next !== "/" ? `?${new URLSearchParams({ next })}` : "";
  return `${apiBaseUrl()}/api/auth/sso/start${query}`;
}

/** Trades the callback's one-time code for the usual token pair and starts the session with it. */
export async function exchangeSsoCode(code: string): Promise<TokenPair> {
  const pair = await unwrap(publicApi.POST("/api/auth/sso/exchange", { body: { code } }));
  startSession(pair);
  return pair;
}
