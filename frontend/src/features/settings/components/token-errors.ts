import { ApiError } from "@/lib/api/errors";

/**
 * A refused token, said once in plain words. The server's 422 detail repeats its field messages
 * after "The request is not valid — token: …"; the token schemas word each message for people, so
 * those messages alone are shown (once each).
 */
export function tokenError(error: unknown): unknown {
  if (error instanceof ApiError && error.status === 422 && error.fields.length > 0) {
    return [...new Set(error.fields.map((field) => field.message))].join(" ");
  }
  return error;
}
