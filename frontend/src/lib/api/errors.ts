export type FieldError = { field: string; message: string };

const NETWORK_DETAIL =
  "Could not reach the TuneForge server. Check your connection and try again.";

/** An API failure carrying the server's human-readable `detail`, shown to users verbatim. */
export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string;
  readonly fields: FieldError[];
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    error: string;
    detail: string;
    fields?: FieldError[];
    requestId?: string | null;
  }) {
    super(init.detail);
    this.name = "ApiError";
    this.status = init.status;
    this.error = init.error;
    this.detail = init.detail;
    this.fields = init.fields ?? [];
    this.requestId = init.requestId ?? null;
  }

  static fromResponse(response: Response, body: unknown): ApiError {
    const shaped = isRecord(body) ? body : {};
    const detail =
      typeof shaped.detail === "string" && shaped.detail
        ? shaped.detail
        : `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}. Try again in a moment.`;
    const fields = Array.isArray(shaped.fields)
      ? shaped.fields.filter(
          (f): f is FieldError =>
            isRecord(f) && typeof f.field === "string" && typeof f.message === "string",
        )
      : [];
    return new ApiError({
      status: response.status,
      error: typeof shaped.error === "string" ? shaped.error : "HTTPError",
      detail,
      fields,
      requestId: response.headers.get("X-Request-ID"),
    });
  }

  static network(): ApiError {
    return new ApiError({ status: 0, error: "NetworkError", detail: NETWORK_DETAIL });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw ApiError.network();
  }
  if (!result.response.ok) throw ApiError.fromResponse(result.response, result.error);
  return result.data as T;
}
