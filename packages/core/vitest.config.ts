import { defineConfig } from "vitest/config"

// CI runs every package's tests at once on two cores beside Chromium, so a test
// that starts workers or loads models can take seconds. Speed is for benchmarks.
export default defineConfig({ test: { testTimeout: 30_000 } })
