/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const apiTarget = process.env.TUNEFORGE_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  // The SPA is served from "/" by the API and by nginx; client-side routing handles the rest.
  base: "/",
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    proxy: {
      "/api": { target: apiTarget, changeOrigin: true, ws: true },
    },
  },
  build: { outDir: "dist", emptyOutDir: true },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // The machine has 2 shared cores: one worker keeps runs predictable.
    pool: "threads",
    maxWorkers: 1,
    restoreMocks: true,
    unstubGlobals: true,
    // A busy 2-core CI box: lazily loaded chunks (charts) can take seconds to arrive.
    testTimeout: 30_000,
  },
});
