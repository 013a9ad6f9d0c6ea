import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, beforeEach } from "vitest";
import { resetRefreshForTests } from "@/lib/auth/refresh";
import { resetSessionForTests } from "@/lib/auth/session";

beforeEach(() => {
  window.localStorage.clear();
  resetSessionForTests();
  resetRefreshForTests();
});

afterEach(() => {
  cleanup();
});
