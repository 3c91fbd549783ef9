// (n) The message-triage student micro-batched: 16 concurrent callers
// against one caller at a time, over the SpamAssassin `-1` validation split,
// at three depths measured in one run: the recipe's whole student (featurize
// + model) through `createRunner`, its model stage alone over featurized
// messages, and bare onnxruntime-node (one-row runs against 16-row runs: the
// most any batcher could gain on this model, with no framework at all).
import { createRequire } from "node:module"
import { createRunner, Pipeline } from "@edgeline/core"
import { SpamAssassin } from "@edgeline/distill"
import { Featurizer, SparseBatch } from "@edgeline/distill/features"
import * as Student from "@edgeline/model-message-triage"
import { TriageStudent } from "@edgeline/recipes"
import { NodeRuntime, OnnxBackend } from "@edgeline/runtime-node"
import { Effect } from "effect"
import * as ort from "onnxruntime-node"
import { num } from "./lib/markdown.mjs"
import { median } from "./lib/stats.mjs"

export const TARGETS = { speedup: 3 }
const CALLERS = 16
const ROUNDS = 5

/** Messages per second of `callers` callers sharing `items`, each awaiting its answer before the next. */
const throughput = async (call, items, callers) => {
  let next = 0
  const caller = async () => {
    while (next < items.length) await call(items[next++])
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: callers }, caller))
  return items.length / ((performance.now() - t0) / 1000)
}

/** The student's model on bare onnxruntime-node, with the backend's own session options. */
const bareModel = async () => {
  const path = createRequire(import.meta.url).resolve(Student.specifier, {
    paths: [new URL("../packages/recipes/", import.meta.url).pathname],
  })
  const session = await ort.InferenceSession.create(path, OnnxBackend.sessionOptions(1))
  const run = (features) => {
    const b = SparseBatch.pad(features)
    return session.run({
      indices: new ort.Tensor("int64", b.indices, [b.rows, b.width]),
      values: new ort.Tensor("float32", b.values, [b.rows, b.width]),
    })
  }
  /** Messages per second, `rows` messages per run (padded to the widest). */
  const rate = async (features, rows) => {
    const t0 = performance.now()
    for (let i = 0; i < features.length; i += rows) await run(features.slice(i, i + rows))
    return features.length / ((performance.now() - t0) / 1000)
  }
  return { rate, release: () => session.release() }
}

export const run = async ({ log }) => {
  const texts = (await SpamAssassin.load("validation")).map((m) => m.text)
  const featurizer = await Featurizer.create(Student.featurizer)
  const featurized = texts.map((text) => ({
    features: featurizer.featurize(text),
    input: { text },
  }))
  const messages = texts.map((text) => ({ text }))
  const runnerOf = (pipeline) => createRunner(pipeline, { layer: NodeRuntime.layer() })
  const whole = async (batch) => runnerOf(await Effect.runPromise(TriageStudent.make({ batch })))
  const modelOnly = (batch) =>
    runnerOf(Pipeline.make("triage-model", TriageStudent.classify({ batch })))
  const batch = { maxSize: CALLERS, maxWaitMs: 0 }
  const runners = {
    wholeAlone: await whole(false),
    wholeBatched: await whole(batch),
    modelAlone: await modelOnly(false),
    modelBatched: await modelOnly(batch),
  }
  const bare = await bareModel()
  const features = featurized.map((f) => f.features)
  log(`triage-batch: ${texts.length} messages, ${ROUNDS} interleaved rounds`)

  const series = {
    wholeAlone: () => throughput(runners.wholeAlone.run, messages, 1),
    wholeBatched: () => throughput(runners.wholeBatched.run, messages, CALLERS),
    modelAlone: () => throughput(runners.modelAlone.run, featurized, 1),
    modelBatched: () => throughput(runners.modelBatched.run, featurized, CALLERS),
    // One caller on the batched stage: no timer, so no wait for company that never comes.
    modelBatchedLone: () => throughput(runners.modelBatched.run, featurized, 1),
    bareOneRow: () => bare.rate(features, 1),
    bareSixteenRows: () => bare.rate(features, CALLERS),
  }
  const measured = Object.fromEntries(Object.keys(series).map((k) => [k, []]))
  for (const measure of Object.values(series)) await measure() // warm: loads, the featurizer's word memory
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, measure] of Object.entries(series)) measured[k].push(await measure())
  }
  for (const runner of Object.values(runners)) await runner.close()
  await bare.release()

  const m = Object.fromEntries(Object.entries(measured).map(([k, xs]) => [k, median(xs)]))
  const speedup = m.modelBatched / m.modelAlone
  const wholeSpeedup = m.wholeBatched / m.wholeAlone
  const bareSpeedup = m.bareSixteenRows / m.bareOneRow
  const us = (perSecond) => `${num(1e6 / perSecond, 1)} µs`
  const ok = speedup >= TARGETS.speedup
  const rate = (perSecond) => `${num(perSecond, 0)} messages/s (${us(perSecond)} each)`
  return {
    id: "triage-batch",
    title: "(n) Micro-batched student: 16 concurrent callers vs one at a time",
    summary: `The message-triage student (\`TriageStudent\`: a featurize stage, then the model's infer stage; onnxruntime-node, one thread) over the ${texts.length} validation messages of the SpamAssassin \`-1\` subsets, through \`createRunner\` on runtime-node: one caller awaiting each answer, against ${CALLERS} concurrent callers whose requests the model stage stacks into one run (ragged features padded, up to ${CALLERS} per run, collected without a timer). Student inference is the model stage over featurized messages; the whole student adds featurizing; bare onnxruntime-node is the ceiling any batcher has on this model. ${ROUNDS} interleaved rounds, median.`,
    headline: `student inference ${num(speedup, 2)}× with ${CALLERS} callers (bare onnxruntime-node's ceiling ${num(bareSpeedup, 2)}×); whole student ${num(wholeSpeedup, 2)}×`,
    target: `≥ ${TARGETS.speedup}×`,
    status: ok ? "PASS" : "FAIL",
    rows: [
      { measure: "student inference, one caller at a time", value: rate(m.modelAlone) },
      {
        measure: `student inference, ${CALLERS} concurrent callers, micro-batched`,
        value: rate(m.modelBatched),
      },
      {
        measure: "student inference speed-up",
        value: `${num(speedup, 2)}×`,
        target: `≥ ${TARGETS.speedup}×`,
        result: ok ? "PASS" : "FAIL",
      },
      {
        measure: "one caller on the micro-batched stage (nothing to batch)",
        value: rate(m.modelBatchedLone),
      },
      {
        measure: "bare onnxruntime-node: one-row runs / 16-row runs",
        value: `${us(m.bareOneRow)} / ${us(m.bareSixteenRows)} per message (${num(bareSpeedup, 2)}×)`,
      },
      {
        measure: "whole student (featurize + model): one caller / 16 callers",
        value: `${us(m.wholeAlone)} / ${us(m.wholeBatched)} per message (${num(wholeSpeedup, 2)}×)`,
      },
    ],
    notes: [
      "Batching shares what a run costs whatever its rows: onnxruntime's per-run overhead and the framework's per-run work. This student is an embedding bag: each message gathers and sums its own ~1000 features (mean 1022, up to ~2100), so a run's cost grows with its rows, and a batch pads every row to its widest. Bare onnxruntime-node, with no framework at all, gains only the ceiling above from 16-row runs; no batcher can pass it, and the framework's per-call work (the runner, the stage, encode and decode: not shared) lowers it further.",
      "Featurizing reads every word of a message on the caller's thread and cannot be shared: the whole student's speed-up stays near 1×.",
      "The batched stage collects callers arriving in the same turn of the event loop (`maxWaitMs: 0`) rather than waiting 2 ms for company; a lone caller on it runs at the one-caller rate instead of one message per 2 ms.",
    ],
    raw: { measured, medians: m, speedup, wholeSpeedup, bareSpeedup, targets: TARGETS },
  }
}
