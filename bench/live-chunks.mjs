// (g) The live gate fed 512-sample (32 ms) chunks, one push each, as an
// AudioWorklet would: what the framework costs per push on top of the model,
// against the raw onnxruntime loop over the same frames. Informational: the
// per-push cost is fixed (spans, metrics and entry validation per stage run),
// so it matters for throughput on tiny chunks, not for keeping up with live
// audio (a push every 32 ms).
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { createRawSilero } from "./lib/raw-silero.mjs"
import { sharedSessionLayer } from "./lib/shared-session.mjs"
import { forJson, interleave } from "./lib/stats.mjs"

const CHUNK = 512

export const run = async ({ recording, warmup = 1, reps = 6, log }) => {
  const raw = await createRawSilero()
  // Both sides on one native session (see lib/shared-session.mjs); closing the runner releases it.
  const runner = await createRunner(VoiceGate.stream, { layer: sharedSessionLayer(raw.session) })
  const { samples, sampleRate } = recording
  const pushes = Math.ceil(samples.length / CHUNK)
  const live = async () => {
    const session = await runner.open()
    for (let at = 0; at < samples.length; at += CHUNK) {
      await session.push({ samples: samples.subarray(at, at + CHUNK), sampleRate })
    }
    return session.end()
  }
  try {
    await runner.run({ samples: samples.subarray(0, sampleRate), sampleRate }) // loads the model
    log(`live-chunks: ${warmup} warm-up + ${reps} interleaved pairs of ${pushes} pushes`)
    const r = await interleave({ run: live }, { run: () => raw.run(samples) }, { warmup, reps })
    const perPush = (r.a.median - r.b.median) / pushes
    return {
      id: "live-chunks",
      title: "(g) Live gate, 512-sample chunks",
      summary: `\`runner.open()\` then one \`push\` per ${CHUNK}-sample chunk of the 60 s recording (${pushes} pushes), vs the raw onnxruntime loop over the same frames, both on the same native session. Informational.`,
      headline: `live/raw = ${num(r.ratio)}; ${(perPush * 1000).toFixed(0)} µs per push on top of the model`,
      target: "none (informational)",
      status: "INFO",
      rows: [
        { measure: "live pushes (median wall; CPU)", value: wallCpu(r.a) },
        { measure: "raw onnxruntime loop (median wall; CPU)", value: wallCpu(r.b) },
        { measure: "ratio live/raw (median of pairs)", value: num(r.ratio), result: "INFO" },
        {
          measure: "framework cost per push",
          value: `${(perPush * 1000).toFixed(0)} µs (${ms(perPush)})`,
        },
        {
          measure: "share of real time spent per push",
          value: `${((r.a.median / pushes / ((CHUNK / sampleRate) * 1000)) * 100).toFixed(2)} %`,
        },
      ],
      notes: [
        "Each push runs five stages, each under its own span and duration metric, and validates the chunk at the entry: about 70 µs of JS per push when measured with the model replaced by an instant one. The rest is onnxruntime's own time per frame, which grows when more JS runs between frames (see docs/ARCHITECTURE.md, what a stage run costs).",
        "Feed larger chunks (4096 samples or more) when throughput matters: the cost is per push, not per sample.",
      ],
      raw: {
        live: forJson(r.a),
        rawLoop: forJson(r.b),
        pushes,
        perPushMs: perPush,
        ratio: r.ratio,
      },
    }
  } finally {
    await runner.close()
  }
}
