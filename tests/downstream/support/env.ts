/**
 * The environment of a command run in a downstream app: a user's shell, not
 * ours. No `npm_*` variables from the `npm test` that started us (npm reads
 * `npm_config_*` as its own config), no workspace `node_modules/.bin` on the
 * PATH (an `npx edgeline` must find the app's own bin or fail), none of
 * vitest's variables (`NODE_ENV=test` would change a Vite build).
 */
import { delimiter, join } from "node:path"

const OURS = /^(npm_|VITEST|TEST$|NODE_ENV$|TURBO_)/i

/**
 * Set to an empty folder to time a run with cold caches without touching
 * the shared ones: npm's cache and pnpm's store and metadata go under it.
 */
export const CACHE_ROOT = process.env.EDGELINE_DOWNSTREAM_CACHE

export const userEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!OURS.test(key)) env[key] = value
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes("node_modules"))
    .join(delimiter)
  return {
    ...env,
    // onnxruntime-node's postinstall downloads CUDA libraries from NuGet on
    // Linux x64; there is no network for that here, and we use the CPU build.
    ONNXRUNTIME_NODE_INSTALL: "skip",
    ...(CACHE_ROOT === undefined ? {} : { npm_config_cache: join(CACHE_ROOT, "npm") }),
    ...extra,
  }
}
