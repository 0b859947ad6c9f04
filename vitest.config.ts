import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most end-to-end tests wait on child processes, sockets and backoff timers, not on the CPU:
    // four test files at a time on a 2-core machine halve the suite's wall time (measured: 191 s
    // with the default two, 101 s with four; the slowest test then takes 24 s of its 60-120 s).
    maxWorkers: 4,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
