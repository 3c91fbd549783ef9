/**
 * Installing an app's dependencies the way a user would, in one of three
 * layouts: npm's default hoisted tree, npm's isolated `linked` strategy and
 * pnpm's isolated store. Caches make reruns fast: npm's own (~/.npm) and a
 * pnpm store kept across runs (`PNPM_STORE`); `EDGELINE_DOWNSTREAM_CACHE`
 * moves both elsewhere (env.ts).
 */
import { homedir } from "node:os"
import { join } from "node:path"
import { CACHE_ROOT } from "./env.js"
import { execOk, type Result } from "./exec.js"
import { pnpmBin } from "./paths.js"

export type Layout = "hoisted" | "linked" | "pnpm"

export const LAYOUTS: ReadonlyArray<Layout> = ["hoisted", "linked", "pnpm"]

/** pnpm's content-addressed store, persistent so a rerun downloads nothing. */
export const PNPM_STORE =
  CACHE_ROOT === undefined
    ? join(homedir(), ".cache", "edgeline-test-pnpm-store")
    : join(CACHE_ROOT, "pnpm-store")

export const install = (app: string, layout: Layout): Promise<Result> => {
  const options = { cwd: app, timeoutMs: 900_000 }
  switch (layout) {
    case "hoisted":
      return execOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], options)
    case "linked":
      return execOk(
        "npm",
        ["install", "--install-strategy=linked", "--prefer-offline", "--no-audit", "--no-fund"],
        options,
      )
    case "pnpm":
      return execOk(
        process.execPath,
        [
          pnpmBin,
          "install",
          `--store-dir=${PNPM_STORE}`,
          ...(CACHE_ROOT === undefined ? [] : [`--cache-dir=${join(CACHE_ROOT, "pnpm-cache")}`]),
          "--prefer-offline",
          // pnpm defaults to a frozen lockfile under CI=true, and a new app has none.
          "--no-frozen-lockfile",
          "--reporter=append-only",
        ],
        options,
      )
  }
}
