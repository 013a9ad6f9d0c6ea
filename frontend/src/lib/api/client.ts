import createClient from "openapi-fetch";
import { authFetch } from "./auth-fetch";
import { apiBaseUrl } from "./base-url";
import type { paths } from "./schema";

/** The typed API client every feature uses (bearer token + one silent refresh on 401). */
export const api = createClient<paths>({ baseUrl: apiBaseUrl(), fetch: authFetch });
