import { defineConfig } from "vitest/config"

// Loading models and starting the cloud tier, on two cores shared with every other suite in CI, takes seconds.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 60_000 },
})
