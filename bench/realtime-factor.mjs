// (b) Real-time factor of the whole gate: VoiceGate.file on the 60 s
// recording as 16 kHz PCM16 WAV bytes (decode, framing, Silero v5, segments,
// PCM16 out). RTF = processing time / audio duration.
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { forJson, repeat } from "./lib/stats.mjs"

/** Not set by the brief: the least a live gate needs, keeping up with the audio. */
export const TARGET = 1

/**
 * Per-stage mean time over the runs between two `timings()` snapshots: the
 * runner counts from its start, warm-up included, so only the difference
 * belongs to the timed runs.
 */
const stageTimes = (before, after) =>
  after.map((t) => {
    const b = before.find((x) => x.stage === t.stage) ?? { count: 0, totalMs: 0 }
    const count = t.count - b.count
    return {
      stage: t.stage,
      kind: t.kind,
      count,
      meanMs: count === 0 ? 0 : (t.totalMs - b.totalMs) / count,
    }
  })

export const run = async ({ recording, warmup = 2, reps = 9, log }) => {
  const runner = await createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })
  try {
    await runner.run(recording.wav) // loads and warms the model: excluded from timing
    const before = await runner.timings()
    log(`realtime-factor: ${warmup} warm-up + ${reps} runs`)
    const r = await repeat({ run: () => runner.run(recording.wav) }, { warmup, reps })
    const rtf = r.median / 1000 / recording.durationSec
    const timings = stageTimes(before, await runner.timings())
    return {
      id: "realtime-factor",
      title: "(b) Real-time factor",
      summary: `\`createRunner(VoiceGate.file).run(wavBytes)\` on the ${recording.durationSec} s recording (16 kHz PCM16 WAV, ${recording.wav.byteLength} bytes). RTF = median processing time / ${recording.durationSec} s.`,
      headline: `RTF ${rtf.toFixed(4)} (${(1 / rtf).toFixed(0)}× real time)`,
      target: `RTF < ${TARGET}`,
      status: rtf < TARGET ? "PASS" : "FAIL",
      rows: [
        { measure: "processing time (median wall; CPU)", value: wallCpu(r) },
        {
          measure: "real-time factor",
          value: num(rtf, 4),
          target: `< ${TARGET} (keeps up with live audio; no target in brief)`,
          result: rtf < TARGET ? "PASS" : "FAIL",
        },
        { measure: "× real time", value: `${(1 / rtf).toFixed(1)}×` },
        ...timings.map((t) => ({
          measure: `stage \`${t.stage}\` (mean per run)`,
          value: `${ms(t.meanMs)} (n=${t.count})`,
        })),
      ],
      notes: [
        "Stage times come from the runner's per-stage duration metrics, averaged over the warm-up and timed runs after the first (model-loading) one.",
      ],
      raw: {
        time: forJson(r),
        rtf,
        xRealtime: 1 / rtf,
        durationSec: recording.durationSec,
        stageTimings: timings,
        target: TARGET,
      },
    }
  } finally {
    await runner.close()
  }
}
