import { playwright } from "@vitest/browser-playwright"
import { defineConfig } from "vitest/config"
import { CHROMIUM, chromiumArgs, chromiumMissing } from "../../tooling/browser.mjs"
import { commands } from "./test/browser/setup/commands.js"

// Never skipped: without Chromium the suite fails and says how to get one.
const missing = chromiumMissing()
if (missing !== undefined) throw new Error(`the browser tests need Chromium: ${missing}`)

// One run, two projects, so `npm test` writes one report with both: the Node
// tests (test/*.test.ts) and the browser ones (test/browser, in Chromium).
// CI runs every package's tests at once on two cores beside Chromium, so
// starting a worker or loading a model, in a test or in the hook that closes
// it, can take seconds. Speed is for benchmarks.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: "node", include: ["test/*.test.ts"] },
      },
      {
        extends: true,
        // The entry's dependencies, bundled before the first test: found mid-run,
        // Vite would reload the page.
        optimizeDeps: {
          include: [
            "effect",
            "effect/http",
            "effect/observability",
            "comlink",
            "hash-wasm",
            "canonicalize",
          ],
        },
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["./test/browser/setup/registry.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The tests read one request log and one origin's quota: one file at a time.
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM, args: chromiumArgs() },
            }),
            instances: [{ browser: "chromium" }],
            commands,
          },
        },
      },
    ],
  },
})
