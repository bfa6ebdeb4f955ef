import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "dist/**"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests start real processes and sockets; keep the 2-core machines responsive.
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
