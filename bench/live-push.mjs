// (v) One live stream: what the framework costs per 512-sample push (32 ms,
// as an AudioWorklet delivers it) on top of the model. The live gate
// (`VoiceGate.stream` through `createRunner(...).open()` / `session.push`) and
// the raw onnxruntime loop over the same frames run on the same native
// session, in interleaved rounds; (live − raw) / pushes is the framework's
// cost. The same pair with an instant model (bench/lib/instant-silero.mjs)
// shows the JavaScript alone, without onnxruntime's time per frame moving
// with it. sherpa-onnx-node's VAD fed the same pushes (`acceptWaveform` +
// drain) runs in the same rounds as the native reference.
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import * as ort from "onnxruntime-node"
import { createInstantSilero } from "./lib/instant-silero.mjs"
import { ms, num, wallCpu } from "./lib/markdown.mjs"
import { createRawSilero } from "./lib/raw-silero.mjs"
import { sharedSessionLayer } from "./lib/shared-session.mjs"
import { createSherpaVad, gateSamples } from "./lib/sherpa-vad.mjs"
import { scoreFrames } from "./lib/silero-loop.mjs"
import { forJson, interleaveTimed, median, timeOnce } from "./lib/stats.mjs"

export const TARGET_US = 30
const CHUNK = 512

const us = (msValue) => `${(msValue * 1000).toFixed(1)} µs`

export const run = async ({ recording, warmup = 2, reps = 12, log }) => {
  const { samples, sampleRate } = recording
  const pushes = Math.ceil(samples.length / CHUNK)
  const raw = await createRawSilero()
  const instant = createInstantSilero()
  // Both real sides on one native session (see lib/shared-session.mjs); closing the runner releases it.
  const runner = await createRunner(VoiceGate.stream, { layer: sharedSessionLayer(raw.session) })
  const instantRunner = await createRunner(VoiceGate.stream, {
    layer: NodeRuntime.layer({ createSession: async () => instant }),
  })
  const sherpa = createSherpaVad()
  /** One stream: a push per 512-sample chunk, as a live source delivers them, then `end`. */
  const live = (r) => async () => {
    const session = await r.open()
    for (let at = 0; at < samples.length; at += CHUNK) {
      await session.push({ samples: samples.subarray(at, at + CHUNK), sampleRate })
    }
    return session.end()
  }
  try {
    // Loads the model (and the JIT warms up) before anything is timed.
    await runner.load()
    await instantRunner.load()
    log(`live-push: ${warmup} warm-up + ${reps} interleaved rounds of ${pushes} pushes, 5 sides`)
    const r = await interleaveTimed(
      {
        live: () => timeOnce(live(runner)),
        raw: () => timeOnce(() => raw.run(samples)),
        liveInstant: () => timeOnce(live(instantRunner)),
        rawInstant: () => timeOnce(() => scoreFrames(ort, instant, samples)),
        sherpa: () => timeOnce(() => gateSamples(sherpa, samples)),
      },
      { warmup, reps },
    )
    // Per round, side by side: the difference of the pair, per push.
    const perPush = (a, b) => median(r[a].samples.map((t, i) => (t - r[b].samples[i]) / pushes))
    const framework = perPush("live", "raw")
    const frameworkJs = perPush("liveInstant", "rawInstant")
    const sherpaPerPush = median(r.sherpa.samples.map((t) => t / pushes))
    const livePerPush = median(r.live.samples.map((t) => t / pushes))
    const rawPerFrame = median(r.raw.samples.map((t) => t / pushes))
    const liveVsSherpa = median(r.live.samples.map((t, i) => t / r.sherpa.samples[i]))
    const pass = framework * 1000 <= TARGET_US
    const timings = await runner.timings()
    const stageRow = timings.map((t) => `${t.stage} ${t.count}× ${us(t.meanMs)}`).join("; ")
    return {
      id: "live-push",
      title: "(v) One live stream: framework cost per 512-sample push",
      summary: `\`runner.open()\` then one \`push\` per ${CHUNK}-sample chunk of the 60 s recording (${pushes} pushes), against the raw onnxruntime loop over the same frames on the same native session; the same pair with an instant model (JavaScript alone); sherpa-onnx-node's VAD fed the same pushes (\`acceptWaveform\` + drain, its C++ loop) as the native reference. All five in interleaved rounds of one process; differences are per round, then the median.`,
      headline: `${us(framework)} per push on top of the model (target ≤ ${TARGET_US} µs); ${us(frameworkJs)} of JavaScript with an instant model`,
      target: `≤ ${TARGET_US} µs per push`,
      status: pass ? "PASS" : "FAIL",
      rows: [
        { measure: "live pushes, real model (median wall; CPU)", value: wallCpu(r.live) },
        { measure: "raw onnxruntime loop, same frames (median wall; CPU)", value: wallCpu(r.raw) },
        {
          measure: "framework cost per push: (live − raw) / pushes",
          value: us(framework),
          target: `≤ ${TARGET_US} µs`,
          result: pass ? "PASS" : "FAIL",
        },
        {
          measure: "per push: live; raw loop per frame",
          value: `${us(livePerPush)}; ${us(rawPerFrame)}`,
        },
        { measure: "live pushes, instant model (median wall; CPU)", value: wallCpu(r.liveInstant) },
        { measure: "raw loop, instant model (median wall; CPU)", value: wallCpu(r.rawInstant) },
        {
          measure: "JavaScript per push, instant model: (live − raw) / pushes",
          value: us(frameworkJs),
        },
        {
          measure: "sherpa-onnx-node per 512-sample push (acceptWaveform + drain, model included)",
          value: `${us(sherpaPerPush)} (${wallCpu(r.sherpa)} per run)`,
        },
        { measure: "live / sherpa, whole stream (median of rounds)", value: num(liveVsSherpa) },
        {
          measure: "per-stage timings still recorded (runner.timings(): runs × mean)",
          value: stageRow,
        },
        {
          measure: "share of real time spent per push",
          value: `${((livePerPush / ((CHUNK / sampleRate) * 1000)) * 100).toFixed(2)} %`,
        },
      ],
      notes: [
        "Each push runs the five stages (resample, framing, Silero, segmenter, PCM16), each counted in its stage metrics (runner.timings(), observe, the metric registry); spans are made only when a tracer is installed. docs/ARCHITECTURE.md (what a stage run costs) has the breakdown.",
        "The JavaScript of a push costs more next to the real model than with the instant one: onnxruntime's frame and the push's JavaScript evict each other's caches, so both run slower than alone (the raw loop's own few µs of JavaScript grow the same way).",
        `Rounds: ${warmup} warm-up + ${reps}; ${ms(r.live.median)} live vs ${ms(r.raw.median)} raw per stream.`,
      ],
      raw: {
        pushes,
        frameworkPerPushMs: framework,
        frameworkJsPerPushMs: frameworkJs,
        sherpaPerPushMs: sherpaPerPush,
        livePerPushMs: livePerPush,
        rawPerFrameMs: rawPerFrame,
        liveVsSherpa,
        timings,
        live: forJson(r.live),
        rawLoop: forJson(r.raw),
        liveInstant: forJson(r.liveInstant),
        rawInstant: forJson(r.rawInstant),
        sherpa: forJson(r.sherpa),
      },
    }
  } finally {
    await runner.close()
    await instantRunner.close()
  }
}
