// (c) The whole-file gate in a worker thread (connectWorker, entry
// lib/gate-worker.mjs) vs in-process (createRunner), on the same WAV bytes.
// The input buffer is transferred to the worker, so each run gets a fresh
// copy, made outside the timing (the in-process side gets one too).
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { connectWorker, NodeRuntime } from "@edgeline/runtime-node"
import { sameResult, summary } from "./lib/gated.mjs"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { forJson, interleave } from "./lib/stats.mjs"

export const run = async ({ recording, warmup = 2, reps = 8, log }) => {
  const worker = connectWorker(new URL("./lib/gate-worker.mjs", import.meta.url))
  const local = await createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })
  try {
    // Worker start-up and model loads: excluded from timing.
    const probe = recording.wav.slice()
    await worker.run(probe)
    const transferred = probe.byteLength === 0
    await local.run(recording.wav.slice())
    log(`worker: ${warmup} warm-up + ${reps} interleaved pairs`)
    const fresh = () => recording.wav.slice()
    const r = await interleave(
      { setup: fresh, run: (bytes) => worker.run(bytes) },
      { setup: fresh, run: (bytes) => local.run(bytes) },
      { warmup, reps },
    )
    const same = sameResult(summary(r.a.out), summary(r.b.out))
    return {
      id: "worker",
      title: "(c) Worker thread vs in-process",
      summary:
        "`connectWorker(lib/gate-worker.mjs)` serving `VoiceGate.file` vs `createRunner(VoiceGate.file)`, same 60 s WAV bytes, interleaved ABBA pairs; ratio = median of per-pair ratios.",
      headline: `worker/in-process = ${num(r.ratio)}`,
      target: "none (informational)",
      status: same ? "INFO" : "FAIL",
      rows: [
        { measure: "worker (median wall; CPU)", value: wallCpu(r.a) },
        { measure: "in-process (median wall; CPU)", value: wallCpu(r.b) },
        { measure: "worker − in-process (medians)", value: ms(r.a.median - r.b.median) },
        {
          measure: "ratio worker/in-process (median of pairs)",
          value: num(r.ratio),
          target: "none",
          result: "INFO",
        },
        { measure: "ratio of medians", value: num(r.ratioOfMedians) },
        { measure: "CPU-time ratio worker/in-process (median of pairs)", value: num(r.cpuRatio) },
        {
          measure: "input transferred (sender's buffer detached)",
          value: transferred ? "yes" : "no",
        },
        {
          measure: "same segments, frames and bytes out",
          value: same ? "yes" : "no",
          target: "yes",
          result: same ? "PASS" : "FAIL",
        },
      ],
      raw: {
        worker: forJson(r.a),
        inProcess: forJson(r.b),
        pairRatios: r.pairRatios,
        ratio: r.ratio,
        ratioOfMedians: r.ratioOfMedians,
        cpuPairRatios: r.cpuPairRatios,
        cpuRatio: r.cpuRatio,
        inputTransferred: transferred,
        sameResult: same,
      },
    }
  } finally {
    await worker.close()
    await local.close()
  }
}
