// Two whole processes timed side by side: warm-up pairs (untimed), then pairs
// alternating the order (A B, B A, …) so the machine's noise hits both alike.
// Each case is a thunk resolving like `timeNode` (bench/lib/command.mjs).
import { median, pairRatios, summarize } from "./stats.mjs"

/**
 * Runs `cases` ({ a: () => timeNode(…), b: … }, exactly two) `warmup` times
 * each, then `reps` pairs. Resolves per case with the wall times, times to
 * first output byte, peak RSS and every stdout, plus `ratio`: a/b as the
 * median of the per-pair ratios (the first case's key over the second's).
 * `beside` cases run once after each pair, in the same noise, outside the
 * ratio (e.g. Node's bare start-up); their runs come back as `beside.name`.
 */
export const timeProcessPairs = async ({ cases, beside = {}, warmup, reps, log, label }) => {
  const names = Object.keys(cases)
  if (names.length !== 2) throw new Error("timeProcessPairs times exactly two cases")
  log(`${label}: ${warmup} warm-up pairs, then ${reps} pairs alternating the order`)
  for (let i = 0; i < warmup; i++) for (const name of names) await cases[name]()
  const runs = Object.fromEntries(
    names.map((name) => [name, { ms: [], firstByteMs: [], peakRssBytes: [], stdouts: [] }]),
  )
  const besideRuns = Object.fromEntries(Object.keys(beside).map((name) => [name, []]))
  for (let i = 0; i < reps; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      const r = await cases[name]()
      runs[name].ms.push(r.ms)
      runs[name].firstByteMs.push(r.firstByteMs)
      runs[name].peakRssBytes.push(r.peakRssBytes)
      runs[name].stdouts.push(r.stdout)
    }
    for (const [name, run] of Object.entries(beside)) besideRuns[name].push(await run())
  }
  const [a, b] = names
  return {
    ...Object.fromEntries(
      names.map((name) => [name, { ...runs[name], wall: summarize(runs[name].ms) }]),
    ),
    ratio: median(pairRatios(runs[a].ms, runs[b].ms)),
    beside: besideRuns,
  }
}

/** Median peak RSS in MiB, for a row. */
export const mib = (bytes) => `${(median(bytes) / 2 ** 20).toFixed(0)} MiB`
