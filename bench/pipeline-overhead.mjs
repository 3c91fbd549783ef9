// (a) Pipeline overhead: the live voice gate (VoiceGate.stream through
// createRunner) on the 60 s recording as ONE 16 kHz AudioChunk, so nothing is
// resampled, against a raw onnxruntime-node loop over exactly the same
// 512-sample frames with the same context and state carry. Both run on the
// same native session (see lib/shared-session.mjs), loaded and warmed before
// timing. A second copy of the raw loop runs in the same rounds: its ratio to
// the first (A/A) shows how small a difference this harness can resolve.
//
// bench/run.mjs runs this in several fresh processes (lib/registry.mjs) and
// `combine`s them:
// one process's ratio moves by about ±1 % with where its heap and JIT code
// land (seen while the A/A control stayed within 0.5 %), so rounds from
// several processes are pooled and each process's ratio is shown.
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { createRawSilero, SESSION_OPTIONS } from "./lib/raw-silero.mjs"
import { sharedSessionLayer } from "./lib/shared-session.mjs"
import {
  interleaveTimed,
  maxAbsDiff,
  median,
  pairRatios,
  summarize,
  timeOnce,
} from "./lib/stats.mjs"

export const TARGET = 1.05

/** One process: rounds of pipeline, raw, raw again. Returns the samples; `combine` reports. */
export const run = async ({ recording, warmup = 4, reps = 30, log }) => {
  const chunk = { samples: recording.samples, sampleRate: recording.sampleRate }
  const raw = await createRawSilero()
  // The runner's runtime owns the shared session from here on: closing it releases the session.
  const runner = await createRunner(VoiceGate.stream, { layer: sharedSessionLayer(raw.session) })
  try {
    await runner.run(chunk) // loads the model bytes and warms up: excluded from timing
    log(`pipeline-overhead: ${warmup} warm-up + ${reps} interleaved rounds of 3`)
    const r = await interleaveTimed(
      {
        pipeline: () => timeOnce(() => runner.run(chunk)),
        raw: () => timeOnce(() => raw.run(recording.samples)),
        rawAgain: () => timeOnce(() => raw.run(recording.samples)),
      },
      { warmup, reps },
    )
    const gated = r.pipeline.out
    return {
      id: "pipeline-overhead",
      wall: { pipeline: r.pipeline.samples, raw: r.raw.samples, rawAgain: r.rawAgain.samples },
      cpu: { pipeline: r.pipeline.cpu.samples, raw: r.raw.cpu.samples },
      frames: r.raw.out.length,
      segments: gated.segments.length,
      maxAbsProbabilityDiff: maxAbsDiff(gated.probabilities, r.raw.out),
    }
  } finally {
    await runner.close()
  }
}

/** The report over every process's rounds. */
export const combine = (processes) => {
  const pooled = (pick) => processes.flatMap(pick)
  /** A side's pooled wall times, with its CPU times as `wallCpu` reads them. */
  const side = (name) => ({
    ...summarize(pooled((p) => p.wall[name])),
    cpu: summarize(pooled((p) => p.cpu[name])),
  })
  const wall = { pipeline: side("pipeline"), raw: side("raw") }
  const ratios = pooled((p) => pairRatios(p.wall.pipeline, p.wall.raw))
  const ratio = median(ratios)
  const control = median(pooled((p) => pairRatios(p.wall.rawAgain, p.wall.raw)))
  const cpuRatio = median(pooled((p) => pairRatios(p.cpu.pipeline, p.cpu.raw)))
  const perProcess = processes.map((p) => median(pairRatios(p.wall.pipeline, p.wall.raw)))
  const perProcessControl = processes.map((p) => median(pairRatios(p.wall.rawAgain, p.wall.raw)))
  const frames = processes[0].frames
  const diff = Math.max(...processes.map((p) => p.maxAbsProbabilityDiff))
  const pass = ratio <= TARGET
  const agree = diff < 1e-6
  const perFrame = (s) => `${((s.median / frames) * 1000).toFixed(1)} µs`
  return {
    id: "pipeline-overhead",
    title: "(a) Pipeline overhead",
    summary: `\`createRunner(VoiceGate.stream)\` on the 60 s recording as one 16 kHz \`AudioChunk\` (whole gate: framing, Silero v5, segments, PCM16) vs a raw onnxruntime-node loop over the same frames (64-sample context, state carry). Both on the same native session, so only what the framework adds is measured; model load excluded (both warmed). In each of ${processes.length} fresh processes: rounds of pipeline, raw, raw again, alternating forwards and backwards; ratio = median of the per-round ratios of all processes.`,
    headline: `pipeline/raw = ${num(ratio)} (A/A control ${num(control)})`,
    target: `≤ ${TARGET}`,
    status: pass && agree ? "PASS" : "FAIL",
    rows: [
      {
        measure: "pipeline (median wall; CPU)",
        value: wallCpu(wall.pipeline),
      },
      {
        measure: "raw onnxruntime loop (median wall; CPU)",
        value: wallCpu(wall.raw),
      },
      {
        measure: "per frame: pipeline / raw",
        value: `${perFrame(wall.pipeline)} / ${perFrame(wall.raw)}`,
      },
      { measure: "pipeline − raw (medians)", value: ms(wall.pipeline.median - wall.raw.median) },
      {
        measure: "ratio pipeline/raw (median of all rounds)",
        value: num(ratio),
        target: `≤ ${TARGET}`,
        result: pass ? "PASS" : "FAIL",
      },
      { measure: "ratio per process", value: perProcess.map((x) => num(x)).join(" · ") },
      { measure: "CPU-time ratio pipeline/raw (median of all rounds)", value: num(cpuRatio) },
      {
        measure: "A/A control: raw again / raw (all rounds; per process)",
        value: `${num(control)} (${perProcessControl.map((x) => num(x)).join(" · ")})`,
      },
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
      "One session for both: two sessions of the same model, made the same way, run up to ±2 % apart for their whole life (measured with identical raw loops), which would swamp the framework's own cost.",
    ],
    raw: {
      processes: processes.map(({ id: _id, ...p }) => p),
      roundRatios: ratios,
      ratio,
      ratioPerProcess: perProcess,
      controlRatio: control,
      controlRatioPerProcess: perProcessControl,
      cpuRatio,
      pipeline: wall.pipeline,
      rawLoop: wall.raw,
      frames,
      maxAbsProbabilityDiff: diff,
      sessionOptions: SESSION_OPTIONS,
      target: TARGET,
      pass,
    },
  }
}
