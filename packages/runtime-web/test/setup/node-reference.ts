/**
 * Runs in Node before the browser tests: the voice gate on every fixture with
 * onnxruntime-node, so the browser can be checked against it.
 */
import { readdir, readFile } from "node:fs/promises"
import { createRunner } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import type { TestProject } from "vitest/node"

export interface Reference {
  readonly segments: ReadonlyArray<{ readonly start: number; readonly end: number }>
  readonly probabilities: ReadonlyArray<number>
  readonly bytesIn: number
  readonly bytesOut: number
}

declare module "vitest" {
  interface ProvidedContext {
    nodeReference: Record<string, Reference>
  }
}

const fixtures = new URL("../../../recipes/test/fixtures/", import.meta.url)

export default async function setup(project: TestProject) {
  const runner = await createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })
  const reference: Record<string, Reference> = {}
  try {
    for (const file of (await readdir(fixtures)).filter((f) => f.endsWith(".wav"))) {
      const gated = await runner.run(await readFile(new URL(file, fixtures)))
      reference[file] = {
        segments: gated.segments,
        probabilities: [...gated.probabilities],
        bytesIn: gated.bytesIn,
        bytesOut: gated.bytesOut,
      }
    }
  } finally {
    await runner.close()
  }
  project.provide("nodeReference", reference)
}
