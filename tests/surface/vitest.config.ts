import { defineConfig } from "vitest/config"

// The first import of a package loads effect and its graph: on two cores
// shared with every other suite in CI that takes seconds.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 } })
