// (a) Pipeline overhead: the live voice gate (VoiceGate.stream through
// createRunner) on the 60 s recording as ONE 16 kHz AudioChunk, so nothing is
// resampled, against a raw onnxruntime-node loop over exactly the same
// 512-sample frames with the same session options, context and state carry.
// Both models are loaded and warmed before timing.
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { createRawSilero, SESSION_OPTIONS } from "./lib/raw-silero.mjs"
import { forJson, interleave, maxAbsDiff } from "./lib/stats.mjs"

export const TARGET = 1.05

export const run = async ({ recording, warmup = 4, reps = 24, log }) => {
  const chunk = { samples: recording.samples, sampleRate: recording.sampleRate }
  const runner = await createRunner(VoiceGate.stream, { layer: NodeRuntime.layer() })
  const raw = await createRawSilero()
  try {
    await runner.run(chunk) // loads and warms the model: excluded from timing
    log(`pipeline-overhead: ${warmup} warm-up + ${reps} interleaved pairs`)
    const r = await interleave(
      { run: () => runner.run(chunk) },
      { run: () => raw.run(recording.samples) },
      { warmup, reps },
    )
    const gated = r.a.out
    const diff = maxAbsDiff(gated.probabilities, r.b.out)
    const frames = r.b.out.length
    const pass = r.ratio <= TARGET
    const agree = diff < 1e-6
    return {
      id: "pipeline-overhead",
      title: "(a) Pipeline overhead",
      summary:
        "`createRunner(VoiceGate.stream)` on the 60 s recording as one 16 kHz `AudioChunk` (whole gate: framing, Silero v5, segments, PCM16) vs a raw onnxruntime-node loop over the same frames (same session options, 64-sample context, state carry). Model load excluded (both warmed). Interleaved ABBA pairs; ratio = median of per-pair ratios.",
      headline: `pipeline/raw = ${num(r.ratio)}`,
      target: `≤ ${TARGET}`,
      status: pass && agree ? "PASS" : "FAIL",
      rows: [
        { measure: "pipeline (median wall; CPU)", value: wallCpu(r.a) },
        { measure: "raw onnxruntime loop (median wall; CPU)", value: wallCpu(r.b) },
        {
          measure: "per frame: pipeline / raw",
          value: `${((r.a.median / frames) * 1000).toFixed(1)} µs / ${((r.b.median / frames) * 1000).toFixed(1)} µs`,
        },
        { measure: "pipeline − raw (medians)", value: ms(r.a.median - r.b.median) },
        {
          measure: "ratio pipeline/raw (median of pairs)",
          value: num(r.ratio),
          target: `≤ ${TARGET}`,
          result: pass ? "PASS" : "FAIL",
        },
        { measure: "ratio of medians", value: num(r.ratioOfMedians) },
        { measure: "CPU-time ratio pipeline/raw (median of pairs)", value: num(r.cpuRatio) },
        { measure: "frames", value: String(frames) },
        {
          measure: "max abs diff of probabilities",
          value: diff.toExponential(2),
          target: "< 1e-6",
          result: agree ? "PASS" : "FAIL",
        },
      ],
      notes: [
        "The pipeline side is the whole live gate: besides inference it frames the input, cuts segments and converts their audio to PCM16; the raw loop only runs the model.",
        "Interleaving shares GC work: garbage left by one side can be collected during the other side's run.",
      ],
      raw: {
        pipeline: forJson(r.a),
        rawLoop: forJson(r.b),
        pairRatios: r.pairRatios,
        ratio: r.ratio,
        ratioOfMedians: r.ratioOfMedians,
        cpuPairRatios: r.cpuPairRatios,
        cpuRatio: r.cpuRatio,
        frames,
        maxAbsProbabilityDiff: diff,
        sessionOptions: SESSION_OPTIONS,
        segments: gated.segments.length,
        target: TARGET,
        pass,
      },
    }
  } finally {
    await runner.close()
    await raw.release()
  }
}
