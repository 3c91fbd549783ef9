/**
 * `edgeline triage`: the message-triage cascade over a JSONL file. The
 * distilled student answers on the device; what it is unsure of goes,
 * condensed and with personal data masked, to an OpenAI-compatible cloud
 * model. One JSON line per input, in input order.
 */
import { createRunner, OpenAiCloudModel } from "@edgeline/core"
import { TextRecords } from "@edgeline/distill"
import { MessageTriage } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import * as DataFile from "./DataFile.js"

export interface Flags {
  readonly data: string
  readonly cloud: string
  readonly model: string
  readonly apiKey: string | undefined
  readonly threshold: number | undefined
  readonly perMinute: number | undefined
  readonly perDay: number | undefined
  readonly tokenBudget: number | undefined
  readonly concurrency: number
}

export interface Summary {
  readonly messages: number
  readonly escalated: number
  readonly degraded: number
  readonly tokensSent: number
}

/** Runs the cascade over `flags.data`, handing each result to `each` in input order. */
export const run = async (
  flags: Flags,
  each: (result: MessageTriage.Result) => Promise<void>,
): Promise<Summary> => {
  // A bad line is refused before anything is sent.
  await DataFile.check(flags.data, { labels: undefined, needs: "none", option: "--data" })
  const pipeline = await Effect.runPromise(
    MessageTriage.make({
      policy: { threshold: flags.threshold, perMinute: flags.perMinute, perDay: flags.perDay },
      condense: { tokenBudget: flags.tokenBudget },
      cloudModel: flags.model,
    }),
  )
  const cloud = OpenAiCloudModel.layer({
    baseUrl: flags.cloud,
    model: flags.model,
    apiKey: flags.apiKey,
  })
  const runner = await createRunner(pipeline, {
    layer: Layer.mergeAll(NodeRuntime.layer(), cloud),
  })
  const totals = { messages: 0, escalated: 0, degraded: 0, tokensSent: 0 }
  // Up to `concurrency` messages in flight (the student micro-batches them); written in order.
  const inFlight: Array<Promise<MessageTriage.Result>> = []
  const writeOldest = async () => {
    const result = await inFlight.shift()!
    totals.messages++
    if (result.escalated) totals.escalated++
    if (result.degraded) totals.degraded++
    totals.tokensSent += result.tokensSent
    await each(result)
  }
  try {
    let position = 0
    for await (const record of TextRecords.read(flags.data)) {
      position++
      const id = record.id ?? String(position)
      inFlight.push(runner.run({ id, text: record.text }).then(MessageTriage.result))
      if (inFlight.length >= flags.concurrency) await writeOldest()
    }
    while (inFlight.length > 0) await writeOldest()
  } finally {
    await Promise.allSettled(inFlight)
    await runner.close()
  }
  return totals
}

/** One line of `--jsonl` output: exactly the fields the command documents. */
export const line = (result: MessageTriage.Result): string =>
  JSON.stringify({
    id: result.id,
    label: result.label,
    confidence: result.confidence,
    escalated: result.escalated,
    degraded: result.degraded,
    tokensSent: result.tokensSent,
  })

export const format = (summary: Summary): string =>
  [
    `${summary.messages} messages: ${summary.messages - summary.escalated - summary.degraded} answered on the device, ${summary.escalated} by the cloud${summary.degraded > 0 ? `, ${summary.degraded} degraded (the cloud failed; the device's answer stands)` : ""}`,
    `tokens sent to the cloud: ${summary.tokensSent}`,
  ].join("\n")
