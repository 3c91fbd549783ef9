/** Where things are in the workspace, for code that runs outside it. */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The workspace root. */
export const root = fileURLToPath(new URL("../../../", import.meta.url))

/** The recording every check gates: 12 s of 16 kHz mono speech with pauses. */
export const fixtureWav = join(root, "packages/recipes/test/fixtures/conversation-16k-mono.wav")

/** The workspace's TypeScript compiler (run with `process.execPath`). */
export const tscBin = join(root, "node_modules/typescript/bin/tsc")

/** pnpm's JS entry, from this package's dev dependency (run with `process.execPath`); its exports map "." to its package.json. */
export const pnpmBin = join(dirname(createRequire(import.meta.url).resolve("pnpm")), "bin/pnpm.cjs")

/** The version of a package installed in the workspace, e.g. vite's. */
export const workspaceVersion = (name: string): string =>
  JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version

/** A package's README. */
export const readme = (packageDir: string): string =>
  join(root, "packages", packageDir, "README.md")
