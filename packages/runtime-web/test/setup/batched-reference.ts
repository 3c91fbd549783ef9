/**
 * Runs in Node before the browser tests: a 60 s recording built from the
 * voice gate's fixtures (the recipes' own test recording), gated with
 * onnxruntime-node both ways, frame after frame and in stretches
 * (`scoring: "batched"`), so the browser can run the same bytes and be
 * checked against both.
 */
import { createRunner } from "@edgeline/core"
import { StretchScore, VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import type { TestProject } from "vitest/node"
import { buildRecording } from "../../../recipes/test/support/recording.js"
import type { Reference } from "./node-reference.js"

/** Long enough for the default layout to split it: 1875 frames, 8 stretches of ≥ 224. */
const SECONDS = 60

export interface BatchedReference {
  /** The recording as a 16 kHz PCM16 WAV, base64. */
  readonly wav: string
  readonly sequential: Reference
  readonly batched: Reference
  /** Where each stretch's own frames begin (`StretchScore.layout(...).own`). */
  readonly stretchStarts: ReadonlyArray<number>
}

declare module "vitest" {
  interface ProvidedContext {
    batchedReference: BatchedReference
  }
}

const reference = (gated: VoiceGate.Gated): Reference => ({
  segments: gated.segments,
  probabilities: [...gated.probabilities],
  bytesIn: gated.bytesIn,
  bytesOut: gated.bytesOut,
})

export default async function setup(project: TestProject) {
  const recording = await buildRecording(SECONDS)
  const layer = NodeRuntime.layer()
  const [sequential, batched] = await Promise.all([
    createRunner(VoiceGate.fromWav({ scoring: "sequential" }), { layer }),
    createRunner(VoiceGate.fromWav({ scoring: "batched" }), { layer }),
  ])
  try {
    const seq = await sequential.run(recording.wav)
    const bat = await batched.run(recording.wav)
    const layout = StretchScore.layout(seq.probabilities.length, StretchScore.resolve())
    if (layout === undefined) throw new Error(`${SECONDS} s is too short to split into stretches`)
    project.provide("batchedReference", {
      wav: Buffer.from(recording.wav).toString("base64"),
      sequential: reference(seq),
      batched: reference(bat),
      stretchStarts: layout.own,
    })
  } finally {
    await Promise.all([sequential.close(), batched.close()])
  }
}
