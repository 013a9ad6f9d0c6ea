import createClient from "openapi-fetch";
import { apiBaseUrl } from "./base-url";
import type { paths } from "./schema";

/** Client without credentials, for the token refresh itself. */
export const publicApi = createClient<paths>({
  baseUrl: apiBaseUrl(),
  fetch: (request) => globalThis.fetch(request),
});
