/**
 * The voice gate's segments on the fixture as a reference: computed in this
 * process with the workspace's packages on onnxruntime-node, and compared
 * with what a downstream app printed.
 */
import { readFile } from "node:fs/promises"
import { createRunner } from "@edgeline/core"
import { SileroVad, VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { expect } from "vitest"

export interface Segment {
  readonly start: number
  readonly end: number
}

/** One Silero frame, in seconds: the bar between backends (onnxruntime-node vs -web). */
export const FRAME_SECONDS = SileroVad.FRAME / VoiceGate.SAMPLE_RATE

export const nodeSegments = async (wav: string): Promise<ReadonlyArray<Segment>> => {
  const runner = await createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })
  try {
    return (await runner.run(await readFile(wav))).segments
  } finally {
    await runner.close()
  }
}

/** Same count, and every boundary within one frame (as runtime-web's own tests require). */
export const expectSameSegments = (
  actual: ReadonlyArray<Segment>,
  expected: ReadonlyArray<Segment>,
): void => {
  expect(actual.length, JSON.stringify({ actual, expected })).toBe(expected.length)
  actual.forEach((s, i) => {
    expect(Math.abs(s.start - expected[i]!.start)).toBeLessThanOrEqual(FRAME_SECONDS)
    expect(Math.abs(s.end - expected[i]!.end)).toBeLessThanOrEqual(FRAME_SECONDS)
  })
}
