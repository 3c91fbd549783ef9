// Runs ONE benchmark in this process and prints its result as JSON on the
// last line of stdout. bench/run.mjs starts a fresh process per benchmark, so
// no benchmark inherits another's heap, JIT state or loaded modules (the
// browser ones load Vite and Playwright).
import { buildRecording } from "./recording.mjs"
import { benchmarks } from "./registry.mjs"

const log = (message) => process.stderr.write(`[bench] ${message}\n`)
const entry = benchmarks.find((b) => b.id === process.argv[2])
if (entry === undefined) {
  process.stderr.write(`unknown benchmark "${process.argv[2]}"\n`)
  process.exit(2)
}
const recording = await buildRecording({ seconds: 60 })
const { run } = await import(new URL(entry.module, import.meta.url).href)
const t0 = performance.now()
const result = await run({ recording, log })
process.stdout.write(
  `\n${JSON.stringify({ ...result, seconds: (performance.now() - t0) / 1000 })}\n`,
)
