/**
 * Runs in Node before the browser tests: the recipes' message-triage
 * cascade (`MessageTriage.make()` on runtime-node) over every SpamAssassin
 * validation message, asking a reference cloud tier of its own, so the
 * browser's worker can be checked against it. A few calls carry the
 * per-call override: `"always"` on messages the student is sure of,
 * `"never"` on one it is unsure of (chosen from a first pass that asks no
 * cloud).
 *
 * Then the tier the browser's worker asks: cloud-server's message-triage
 * teacher with its `cors` option on, logging every request to a JSONL file
 * that nothing else writes to, so the test can read what left the device.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CloudServer, defaultModels } from "@edgeline/cloud-server"
import { createRunner, OpenAiCloudModel } from "@edgeline/core"
import { SpamAssassin } from "@edgeline/distill"
import { EscalationPolicy, MessageTriage } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import type { TestProject } from "vitest/node"
import { type Answer, answerOf } from "./triage-answer.js"

export interface TriageReference {
  /** The browser's cloud tier (CORS on), `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string
  readonly model: string
  /** Its request log (JSONL); only the browser's calls reach that tier. */
  readonly requestLog: string
  /** The student's calibrated threshold, as the recipe's default policy uses it. */
  readonly threshold: number
  /**
   * The validation messages (`MessageTriage.Message`, some with a per-call
   * override) as JSONL: files, not provided values, since a browser test
   * page carries every provided value in its HTML.
   */
  readonly messages: string
  /** Node's answers (`Answer`, see triage-answer.ts), one line per message, in order. */
  readonly answers: string
}

declare module "vitest" {
  interface ProvidedContext {
    triageReference: TriageReference
  }
}

/** How many sure messages of each label are forced to the cloud with `"always"`. */
const FORCED = 2

export default async function setup(project: TestProject) {
  const { threshold } = EscalationPolicy.make()
  const models = await defaultModels()
  const model = models[0]!.id
  const reference = await CloudServer.start({ models })
  const dir = await mkdtemp(join(tmpdir(), "edgeline-web-triage-"))
  let browserTier: CloudServer.Server | undefined
  try {
    const pipeline = await Effect.runPromise(MessageTriage.make())
    const runner = await createRunner(pipeline, {
      layer: Layer.mergeAll(
        NodeRuntime.layer(),
        OpenAiCloudModel.layer({ baseUrl: `${reference.url}/v1`, model, retries: false }),
      ),
    })
    const validation = await SpamAssassin.load("validation")
    const messages: Array<MessageTriage.Message> = []
    const answers: Array<Answer> = []
    try {
      // A first pass that asks no cloud: which messages the student is sure of.
      const sure: Array<boolean> = []
      for (const m of validation) {
        const { input } = await runner.run({ text: m.text, escalate: "never" })
        sure.push(input.confidence >= threshold)
      }
      const forced = new Set(
        SpamAssassin.labels.flatMap((label) =>
          [...validation.keys()]
            .filter((k) => sure[k] && validation[k]!.label === label)
            .slice(0, FORCED),
        ),
      )
      const kept = sure.indexOf(false)
      validation.forEach((m, k) => {
        const escalate = forced.has(k) ? "always" : k === kept ? "never" : undefined
        messages.push({ id: m.id, text: m.text, ...(escalate === undefined ? {} : { escalate }) })
      })
      // The reference: one message at a time, as a caller without concurrency would.
      for (const message of messages) answers.push(answerOf(await runner.run(message)))
    } finally {
      await runner.close()
    }
    const jsonl = async (name: string, lines: ReadonlyArray<unknown>) => {
      const path = join(dir, name)
      await writeFile(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(""))
      return path
    }
    const log = join(dir, "requests.jsonl")
    browserTier = await CloudServer.start({ models, cors: true, requestLog: { file: log } })
    project.provide("triageReference", {
      baseUrl: `${browserTier.url}/v1`,
      model,
      requestLog: log,
      threshold,
      messages: await jsonl("messages.jsonl", messages),
      answers: await jsonl("answers.jsonl", answers),
    })
  } catch (e) {
    await browserTier?.close()
    for (const m of models) await m.close?.()
    await rm(dir, { recursive: true, force: true })
    throw e
  } finally {
    await reference.close()
  }
  return async () => {
    await browserTier?.close()
    for (const m of models) await m.close?.()
    await rm(dir, { recursive: true, force: true })
  }
}
