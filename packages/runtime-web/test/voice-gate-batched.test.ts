/**
 * Batched scoring (`VoiceGate.fromWav({ scoring: "batched" })`, recipes'
 * StretchScore) runs unchanged in a Chromium Web Worker on onnxruntime-web
 * (wasm): on a 60 s recording built from the fixtures (8 stretches), it
 * gives what the same batched gate gives on onnxruntime-node (computed in
 * Node by the global setup), and the sequential gate still matches Node's.
 */
import type { VoiceGate } from "@edgeline/recipes"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { connectWorker } from "../src/index.js"
import type { Reference } from "./setup/node-reference.js"

const FRAME_SECONDS = 512 / 16000

/**
 * wasm vs native float differences: ORT's kernels differ between the two
 * builds, and the recurrent state carries each difference on through a
 * stretch. Measured on this recording: at most 1.7e-6 batched and 4.5e-6
 * sequential (benchmark (f): ~3e-6 on the fixtures), two orders below what
 * could move a segment edge. 1e-4 leaves room for another build of either
 * runtime, while a wrong row, join or warm-up moves probabilities by 1e-3 to
 * 0.9 and fails it.
 */
const TOLERANCE = 1e-4

const worker = (variant: "batched" | "sequential") =>
  connectWorker<typeof VoiceGate.file>(
    new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module", name: variant }),
  )

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>, from = 0) => {
  let worst = 0
  for (let i = from; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}

/** Same number of segments, every boundary within one frame. */
const expectSameSegments = (gated: VoiceGate.Gated, node: Reference) => {
  expect(gated.segments.length).toBe(node.segments.length)
  gated.segments.forEach((s, i) => {
    expect(Math.abs(s.start - node.segments[i]!.start)).toBeLessThanOrEqual(FRAME_SECONDS + 1e-9)
    expect(Math.abs(s.end - node.segments[i]!.end)).toBeLessThanOrEqual(FRAME_SECONDS + 1e-9)
  })
}

describe("batched scoring in a Chromium Web Worker (wasm)", () => {
  const reference = inject("batchedReference")
  const wav = () => Uint8Array.from(atob(reference.wav), (c) => c.charCodeAt(0))
  let batched: ReturnType<typeof worker>
  let sequential: ReturnType<typeof worker>

  beforeAll(() => {
    batched = worker("batched")
    sequential = worker("sequential")
  })
  afterAll(() => Promise.all([batched.close(), sequential.close()]))

  /** The worker's run of a gate against the same gate's on Node: probabilities within the tolerance, same segments and bytes. */
  const expectAsOnNode = (scoring: string, gated: VoiceGate.Gated, node: Reference) => {
    expect(gated.probabilities.length).toBe(node.probabilities.length)
    const worst = maxAbsDiff(gated.probabilities, node.probabilities)
    console.log(`${scoring}: max |p(web) - p(node)| = ${worst.toExponential(2)}`)
    expect(worst).toBeLessThan(TOLERANCE)
    expectSameSegments(gated, node)
    expect(gated.bytesIn).toBe(node.bytesIn)
  }

  it("the recording is split into stretches", () => {
    expect(reference.sequential.probabilities.length).toBe(1875)
    expect(reference.stretchStarts.length).toBe(8)
  })

  it("gives the segments and probabilities of the same batched gate on onnxruntime-node", async () => {
    const gated = await batched.run(wav())
    expectAsOnNode("batched", gated, reference.batched)

    // It did score in stretches: past the first join it is far from the sequential scores.
    const join = reference.stretchStarts[1]!
    const fromSequential = maxAbsDiff(gated.probabilities, reference.sequential.probabilities, join)
    console.log(`batched: max |p(web batched) - p(node sequential)| = ${fromSequential.toFixed(3)}`)
    expect(fromSequential).toBeGreaterThan(100 * TOLERANCE)
  })

  it("sequential scoring still gives onnxruntime-node's", async () => {
    expectAsOnNode("sequential", await sequential.run(wav()), reference.sequential)
  })

  it("its first stretch equals the sequential scores bit for bit, as on Node", async () => {
    const [a, b] = await Promise.all([batched.run(wav()), sequential.run(wav())])
    const join = reference.stretchStarts[1]!
    expect(a.probabilities.subarray(0, join)).toEqual(b.probabilities.subarray(0, join))
  })
})
