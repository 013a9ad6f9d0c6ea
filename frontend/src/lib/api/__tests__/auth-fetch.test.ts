import { describe, expect, it } from "vitest";
import { api } from "@/lib/api/client";
import { getAccessToken, startSession } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";

describe("authFetch", () => {
  it("retries a request only once, even when the retry is refused too", async () => {
    startSession(tokenPair(1));
    const fake = installFakeApi({
      "GET /api/credentials": () => apiError(401, "Unauthorized", "Not allowed."),
      "POST /api/auth/refresh": () => json(tokenPair(2)),
    });

    const result = await api.GET("/api/credentials");

    expect(result.response.status).toBe(401);
    expect(fake.callsTo("GET", "/api/credentials").map((c) => c.authorization)).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    expect(fake.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
  });

  it("does not treat a wrong password as an expired session", async () => {
    startSession(tokenPair(1));
    const fake = installFakeApi({
      "POST /api/auth/login": () => apiError(401, "Unauthorized", "Incorrect email or password."),
    });

    const result = await api.POST("/api/auth/login", { body: { email: "a@example.com", password: "nope" } });

    expect(result.error).toEqual({ error: "Unauthorized", detail: "Incorrect email or password." });
    expect(fake.callsTo("POST", "/api/auth/refresh")).toHaveLength(0);
    expect(getAccessToken()).toBe("access-1");
  });

  it("re-sends the request body on the retry", async () => {
    startSession(tokenPair(1));
    const fake = installFakeApi({
      "PUT /api/credentials/huggingface": (call) =>
        call.authorization === "Bearer access-2"
          ? json({ provider: "huggingface", configured: true, last4: "cdef" })
          : apiError(401, "Unauthorized", "Token expired."),
      "POST /api/auth/refresh": () => json(tokenPair(2)),
    });

    const result = await api.PUT("/api/credentials/huggingface", { body: { token: "hf_abcdef" } });

    expect(result.data?.last4).toBe("cdef");
    expect(fake.callsTo("PUT", "/api/credentials/huggingface").map((c) => c.body)).toEqual([
      { token: "hf_abcdef" },
      { token: "hf_abcdef" },
    ]);
  });
});
