import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach } from "vitest";
import { resetRefreshForTests } from "@/lib/auth/refresh";
import { resetSessionForTests } from "@/lib/auth/session";

// findBy* waits up to 5 s (default 1 s): on a loaded 2-core machine lazy chunks arrive late.
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => {
  window.localStorage.clear();
  resetSessionForTests();
  resetRefreshForTests();
});

afterEach(() => {
  cleanup();
});
