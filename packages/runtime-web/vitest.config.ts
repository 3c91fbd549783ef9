import { playwright } from "@vitest/browser-playwright"
import { defineConfig } from "vitest/config"
import {
  CHROMIUM,
  chromiumArgs,
  chromiumMissing,
  isolationHeaders,
  prebundled,
} from "../../tooling/browser.mjs"
import { commands } from "./test/setup/commands.js"

// Never skipped: without Chromium the suite fails and says how to get one.
const missing = chromiumMissing()
if (missing !== undefined) throw new Error(`the browser tests need Chromium: ${missing}`)

export default defineConfig({
  server: { headers: isolationHeaders },
  // core's CloudModel client imports these only inside a worker.
  optimizeDeps: { include: [...prebundled, "effect/http", "effect/persistence"] },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: [
      "./test/setup/node-reference.ts",
      "./test/setup/batched-reference.ts",
      "./test/setup/distill-reference.ts",
      "./test/setup/cloud-tier.ts",
      "./test/setup/triage-reference.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: { executablePath: CHROMIUM, args: chromiumArgs({ webgpu: true }) },
      }),
      instances: [{ browser: "chromium" }],
      commands,
    },
  },
})
