/**
 * The message-triage cascade against the real reference cloud tier on
 * loopback (its teacher answers the escalations) through the OpenAI-
 * compatible CloudModel client, on runtime-node.
 */
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CloudServer, defaultModels } from "@edgeline/cloud-server"
import { createRunner, OpenAiCloudModel } from "@edgeline/core"
import { MessageTriage } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"

const SPAM =
  "Subject: URGENT: claim your FREE prize now!!!\n\nClick here to claim your cash prize. Limited offer, act now! Write to winner@prizes.example or call +1 415 555 0123."
const HAM =
  "Subject: Re: build failure on the nightly\nFrom: Ann <ann@example.org>\n\nThanks, I reverted the change to the Makefile; the nightly build passes again."

let server: Awaited<ReturnType<typeof CloudServer.start>>
let models: Awaited<ReturnType<typeof defaultModels>>
const log = join(tmpdir(), `triage-requests-${process.pid}.jsonl`)
beforeAll(async () => {
  models = await defaultModels()
  server = await CloudServer.start({ models, requestLog: { file: log } })
})
afterAll(async () => {
  await server?.close()
  for (const m of models ?? []) await m.close?.()
})

const runnerFor = async (options: MessageTriage.Options, baseUrl = `${server.url}/v1`) => {
  const pipeline = await Effect.runPromise(MessageTriage.make(options))
  const cloud = OpenAiCloudModel.layer({
    baseUrl,
    model: "message-triage-teacher",
    retries: false,
    circuitBreaker: false,
  })
  return createRunner(pipeline, { layer: Layer.mergeAll(NodeRuntime.layer(), cloud) })
}

describe("MessageTriage", () => {
  it("keeps what the student is sure of on the device, and escalates what it is told to, condensed and masked", async () => {
    const labelled: Array<MessageTriage.Labelled> = []
    const runner = await runnerFor({ onLabelled: (item) => void labelled.push(item) })
    try {
      const sure = MessageTriage.result(await runner.run({ id: "ham-1", text: HAM }))
      expect(sure).toMatchObject({
        id: "ham-1",
        label: "ham",
        escalated: false,
        degraded: false,
        tokensSent: 0,
      })
      const asked = MessageTriage.result(
        await runner.run({ id: "spam-1", text: SPAM, escalate: "always" }),
      )
      expect(asked).toMatchObject({ id: "spam-1", label: "spam", escalated: true, degraded: false })
      expect(asked.tokensSent).toBeGreaterThan(5)
      expect(asked.tokensSent).toBeLessThanOrEqual(384)
      await vi.waitFor(() => expect(labelled).toHaveLength(1))
      expect(labelled[0]).toMatchObject({ id: "spam-1", label: "spam" })
      // What left the device, and what the tap recorded, is masked.
      expect(labelled[0]!.text).not.toContain("winner@prizes.example")
      expect(labelled[0]!.text).not.toContain("555 0123")
      const sent = await readFile(log, "utf8")
      expect(sent).toContain("[email]")
      expect(sent).not.toContain("winner@prizes.example")
      expect(sent).not.toContain("555 0123")
      expect(sent).not.toContain("build failure")
    } finally {
      await runner.close()
    }
  })

  it("caps escalations per minute: over the budget, the student's answer stands", async () => {
    // A threshold above 1: the student is unsure of everything.
    const runner = await runnerFor({ policy: { threshold: 1.01, perMinute: 1 } })
    try {
      const first = MessageTriage.result(await runner.run({ text: SPAM }))
      const second = MessageTriage.result(await runner.run({ text: HAM }))
      const forced = MessageTriage.result(await runner.run({ text: HAM, escalate: "always" }))
      const kept = MessageTriage.result(await runner.run({ text: SPAM, escalate: "never" }))
      expect([first.escalated, second.escalated, forced.escalated, kept.escalated]).toEqual([
        true,
        false,
        true,
        false,
      ])
      expect(second.tokensSent).toBe(0)
    } finally {
      await runner.close()
    }
  })

  it("when the cloud is unreachable, answers locally marked degraded and records the message for later", async () => {
    const later: Array<unknown> = []
    const runner = await runnerFor(
      { onDegraded: (item) => void later.push(item.input.input.id) },
      "http://127.0.0.1:9/v1",
    )
    try {
      const result = MessageTriage.result(
        await runner.run({ id: "m-7", text: SPAM, escalate: "always" }),
      )
      expect(result).toMatchObject({
        id: "m-7",
        label: "spam",
        escalated: false,
        degraded: true,
        tokensSent: 0,
      })
      expect(result.reason).toBeTruthy()
      expect(later).toEqual(["m-7"])
    } finally {
      await runner.close()
    }
  })
})
