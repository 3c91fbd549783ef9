import { defineConfig } from "vitest/config"
import { chromiumMissing } from "../../tooling/browser.mjs"

// Never skipped: without Chromium the e2e suite fails and says how to get one.
const missing = chromiumMissing()
if (missing !== undefined) throw new Error(`the playground's e2e tests need Chromium: ${missing}`)

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One browser and one playground per file; files run one at a time (2 cores).
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
