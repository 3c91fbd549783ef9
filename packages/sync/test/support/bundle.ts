/**
 * A child script and what it imports, bundled into one file, for tests that
 * start a child process many times. Node 20 loads ES modules file by file,
 * and effect's are hundreds: a child importing the built package takes
 * about a second to start on a busy machine, the same code in one file a
 * fifth of that. The code run is the same built package.
 */
import { build } from "rolldown"

/** Bundles `entry` (with its imports, built packages included) into `out`, an ES module. */
export const bundle = async (entry: string, out: string): Promise<void> => {
  await build({
    input: entry,
    platform: "node",
    output: { file: out, format: "esm" },
    logLevel: "warn",
  })
}
