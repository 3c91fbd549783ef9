import { defineConfig } from "vitest/config"

// CI runs every package's tests at once on two cores beside Chromium, so
// starting a worker or loading a model, in a test or in the hook that closes
// it, can take seconds. Speed is for benchmarks.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } })
