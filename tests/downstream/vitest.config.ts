import { defineConfig } from "vitest/config"

// Each file installs fresh apps from our tarballs (npm, pnpm; about 20 s each
// with warm caches, minutes with cold ones), compiles and runs them, and the
// web app's file starts Chromium: on two cores shared with the other
// packages' suites, hooks and tests get minutes, not seconds.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/setup/tarballs.ts"],
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
})
