// (n) The message-triage student micro-batched: 16 concurrent callers
// against one caller at a time, through the recipe's infer stage on
// runtime-node, over the SpamAssassin `-1` validation split.
import { createRunner, Pipeline } from "@edgeline/core"
import { SpamAssassin } from "@edgeline/distill"
import { TriageStudent } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { num } from "./lib/markdown.mjs"
import { median } from "./lib/stats.mjs"

export const TARGETS = { speedup: 3 }
const CALLERS = 16
const ROUNDS = 5

/** Messages per second of `callers` callers sharing `texts`, each awaiting its answer before the next. */
const throughput = async (runner, texts, callers) => {
  let next = 0
  const caller = async () => {
    while (next < texts.length) await runner.run({ text: texts[next++] })
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: callers }, caller))
  return texts.length / ((performance.now() - t0) / 1000)
}

export const run = async ({ log }) => {
  const texts = (await SpamAssassin.load("validation")).map((m) => m.text)
  const runnerOf = async (batch) =>
    createRunner(Pipeline.make("triage", await Effect.runPromise(TriageStudent.make({ batch }))), {
      layer: NodeRuntime.layer(),
    })
  const single = await runnerOf(false)
  const batched = await runnerOf({ maxSize: CALLERS, maxWaitMs: 2 })
  log(`triage-batch: ${texts.length} messages, ${ROUNDS} interleaved rounds`)
  // Warm both (model load, featurizer's word memory).
  await throughput(single, texts, 1)
  await throughput(batched, texts, CALLERS)
  const alone = []
  const together = []
  for (let r = 0; r < ROUNDS; r++) {
    alone.push(await throughput(single, texts, 1))
    together.push(await throughput(batched, texts, CALLERS))
  }
  await single.close()
  await batched.close()
  const one = median(alone)
  const sixteen = median(together)
  const speedup = sixteen / one
  const ok = speedup >= TARGETS.speedup
  return {
    id: "triage-batch",
    title: "(n) Micro-batched student: 16 concurrent callers vs one at a time",
    summary: `The message-triage recipe's student stage (\`TriageStudent\`: featurize + onnxruntime-node, one thread) over the ${texts.length} validation messages of the SpamAssassin \`-1\` subsets, through \`createRunner\` on runtime-node: one caller awaiting each answer, against ${CALLERS} concurrent callers whose requests the stage stacks into one model run (ragged features padded, up to ${CALLERS} per run, 2 ms wait). ${ROUNDS} interleaved rounds, median.`,
    headline: `${num(speedup, 2)}× the throughput with ${CALLERS} callers (${num(sixteen, 0)} vs ${num(one, 0)} messages/s)`,
    target: `≥ ${TARGETS.speedup}×`,
    status: ok ? "PASS" : "FAIL",
    rows: [
      { measure: "one caller at a time", value: `${num(one, 0)} messages/s` },
      {
        measure: `${CALLERS} concurrent callers, micro-batched`,
        value: `${num(sixteen, 0)} messages/s`,
      },
      {
        measure: "speed-up",
        value: `${num(speedup, 2)}×`,
        target: `≥ ${TARGETS.speedup}×`,
        result: ok ? "PASS" : "FAIL",
      },
    ],
    notes: [
      "Featurizing runs on the caller's thread for each message; only the model run is shared, so the speed-up is bounded by the share of time the model takes.",
      "Measured while writing this: featurizing is ~140 µs of the ~290 µs a message costs one at a time; with features precomputed the stage still costs ~108 µs per call alone and ~110 µs batched (the per-run framework cost dominates), and raw onnxruntime-node runs this 32 770-parameter student at ~47 µs per one-row call against ~41 µs per message in 16-row calls. Batching pays for models whose run dominates; for this one the target needs a cheaper per-run path in core.",
    ],
    raw: { alone, together, one, sixteen, speedup, messages: texts.length, targets: TARGETS },
  }
}
