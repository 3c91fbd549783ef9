/**
 * OnnxTeacher on a real exported classifier, run by onnxruntime-node through
 * core's InferenceBackend: it featurizes with the config the model carries
 * and gives the network's own probabilities; a labelling job runs on it.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { OnnxBackend } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Featurizer, FeaturizerConfig } from "../src/features/index.js"
import { LabelJob, OnnxTeacher, Teacher } from "../src/index.js"
import * as OnnxExport from "../src/onnx/OnnxExport.js"
import * as Network from "../src/student/Network.js"
import * as Trainer from "../src/student/Trainer.js"
import { trainingMessages } from "./support/messages.js"

const config = { ...FeaturizerConfig.defaults, buckets: 1 << 12 }
const labels = ["ham", "spam"]

let network: Network.Network
let featurizer: Featurizer.Featurizer
let bytes: Uint8Array
let messages: ReadonlyArray<{ id: string; text: string; label: string }>
let dir: string

beforeAll(async () => {
  featurizer = await Featurizer.create(config)
  const all = await trainingMessages()
  // Every 8th message: all three subsets, small enough to train in a moment.
  messages = all.filter((_, i) => i % 8 === 0)
  const trained = await Trainer.trainPromise(
    messages.map((m) => ({
      features: featurizer.featurize(m.text),
      target: m.label === "spam" ? [0, 1] : [1, 0],
    })),
    { shape: { inputs: config.buckets, hidden: 0, outputs: 2 }, epochs: 3, seed: 7 },
  )
  network = trained.network
  bytes = OnnxExport.encode(network, { name: "triage-teacher", labels, featurizer: config })
  dir = await mkdtemp(join(tmpdir(), "edgeline-onnx-teacher-"))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe("OnnxTeacher", () => {
  it("gives the network's probabilities for the features its metadata describes", async () => {
    const { teacher, close } = await OnnxTeacher.open({ model: bytes, layer: OnnxBackend.layer() })
    try {
      expect(teacher.labels).toEqual(labels)
      expect(teacher.card.featurizer).toEqual(config)
      expect(teacher.id).toMatch(/^onnx:triage-teacher#[0-9a-f]{16}$/)
      for (const m of messages.slice(0, 20)) {
        const answer = await Teacher.labelPromise(teacher, m.text)
        expect(answer.source).toBe("model")
        expect(answer.usage).toEqual(Teacher.noUsage)
        const expected = Network.probabilities(network, featurizer.featurize(m.text))
        expect(answer.probabilities[0]).toBeCloseTo(expected[0]!, 5)
        expect(answer.probabilities[1]).toBeCloseTo(expected[1]!, 5)
      }
    } finally {
      await close()
    }
  })

  it("labels a dataset in a job: everything labelled, nothing spent, mostly right", async () => {
    const { teacher, close } = await OnnxTeacher.open({ model: bytes, layer: OnnxBackend.layer() })
    try {
      const items = messages.slice(0, 120)
      const cache = join(dir, "onnx.jsonl")
      const summary = await LabelJob.runPromise({ teacher, items, cache, concurrency: 4 })
      expect(summary).toMatchObject({
        labelled: items.length,
        failed: [],
        costUsd: 0,
        promptTokens: 0,
      })
      const byKey = await LabelJob.load(cache, teacher)
      const right = items.filter(
        (m) => byKey.get(LabelJob.keyOf(teacher, m.text))?.label === m.label,
      )
      expect(right.length / items.length).toBeGreaterThan(0.9)
    } finally {
      await close()
    }
  })

  it("the same bytes give the same id; a closed teacher fails its calls with a request error", async () => {
    const first = await OnnxTeacher.open({ model: bytes, layer: OnnxBackend.layer() })
    const second = await OnnxTeacher.open({ model: bytes, layer: OnnxBackend.layer(), id: "mine" })
    expect(second.teacher.id).toBe("mine")
    const again = await OnnxTeacher.open({ model: bytes, layer: OnnxBackend.layer() })
    expect(again.teacher.id).toBe(first.teacher.id)
    await Promise.all([second.close(), again.close()])
    await first.close()
    const error = await Teacher.labelPromise(first.teacher, "hello").catch((e) => e)
    expect(error._tag).toBe("TeacherRequestError")
    expect(error.message).toContain("released")
  })

  it("is an Effect holding its session for the scope", async () => {
    const answer = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const teacher = yield* OnnxTeacher.make({ model: bytes })
          return yield* teacher.label(messages[0]!.text)
        }),
      ).pipe(Effect.provide(OnnxBackend.layer())),
    )
    expect(answer.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
  })

  it("bytes that are not an exported classifier are a ModelFormatError saying why", async () => {
    const notOnnx = await OnnxTeacher.open({
      model: new TextEncoder().encode("hello"),
      layer: OnnxBackend.layer(),
    }).catch((e) => e)
    expect(notOnnx._tag).toBe("ModelFormatError")
    const oneLabel = OnnxExport.encode(
      { ...network, shape: { ...network.shape } },
      { name: "x", labels: ["only"], featurizer: config },
    )
    const bad = await OnnxTeacher.open({ model: oneLabel, layer: OnnxBackend.layer() }).catch(
      (e) => e,
    )
    expect(bad._tag).toBe("ModelFormatError")
    expect(bad.message).toContain("labels")
  })
})
