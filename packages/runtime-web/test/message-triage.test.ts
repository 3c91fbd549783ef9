/**
 * The recipes' message-triage cascade in a Chromium Web Worker: the worker
 * builds it with `MessageTriage.make()` from @edgeline/recipes, as Node
 * does, and serves it on runtime-web's Layer (onnxruntime-web wasm, the
 * student from @edgeline/model-message-triage by its `?url`) with core's
 * OpenAiCloudModel asking the reference cloud tier (cloud-server with its
 * `cors` option). Node's answers on the same SpamAssassin validation
 * messages, and the tier, come from test/setup/triage-reference.ts.
 */

import type { RequestLog } from "@edgeline/cloud-server"
import type { Escalate } from "@edgeline/core"
import type { MessageTriage } from "@edgeline/recipes"
import type { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest"
import { commands } from "vitest/browser"
import { connectWorker } from "../src/index.js"
import { type Answer, answerOf } from "./setup/triage-answer.js"
import type { Config } from "./triage-cascade.worker.js"

type Triage = Effect.Success<ReturnType<typeof MessageTriage.make>>
type Escalated = Escalate.Escalated<string, MessageTriage.Prepared>

/** The cascade in a worker, asking `baseUrl`; the tap's records collected as they come. */
const startCascade = (baseUrl: string, model: string) => {
  const channel = new BroadcastChannel(`triage-labelled-${crypto.randomUUID()}`)
  const labelled: Array<MessageTriage.Labelled> = []
  channel.onmessage = ({ data }) => labelled.push(data)
  const name = JSON.stringify({ baseUrl, model, labelled: channel.name } satisfies Config)
  const worker = new Worker(new URL("./triage-cascade.worker.ts", import.meta.url), {
    type: "module",
    name,
  })
  const runner = connectWorker<Triage>(worker)
  return {
    runner,
    labelled,
    close: async () => {
      await runner.close()
      channel.close()
    },
  }
}

/** Mail addresses as they appear in raw mail (headers and bodies). */
const addressesIn = (text: string) => text.match(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g) ?? []

/** Whether the policy wants the cloud for this message, from the student's confidence. */
const wanted = (message: MessageTriage.Message, confidence: number, threshold: number) =>
  message.escalate === "always" || (message.escalate !== "never" && confidence < threshold)

describe("the message-triage cascade in a Chromium Web Worker", () => {
  const reference = inject("triageReference")
  const { threshold } = reference
  let messages: Array<MessageTriage.Message>
  let answers: Array<Answer>
  let cascade: ReturnType<typeof startCascade>
  let results: Array<Escalated>

  beforeAll(async () => {
    messages = (await commands.readJsonLines(reference.messages)) as Array<MessageTriage.Message>
    answers = (await commands.readJsonLines(reference.answers)) as Array<Answer>
    cascade = startCascade(reference.baseUrl, reference.model)
    // All at once: the student's stage micro-batches them (ragged), as Node's
    // one-at-a-time reference does not.
    results = await Promise.all(messages.map((message) => cascade.runner.run(message)))
  })
  afterAll(() => cascade?.close())

  it("answers every SpamAssassin validation message as Node does", () => {
    expect(messages.length).toBeGreaterThanOrEqual(600)
    expect(results).toHaveLength(messages.length)
    const differences: Array<string> = []
    let worst = 0
    results.forEach((escalated, k) => {
      const node = answers[k]!
      const { confidence, ...web } = answerOf(escalated)
      const { confidence: nodeConfidence, ...expected } = node
      worst = Math.max(worst, Math.abs(confidence - nodeConfidence))
      if (JSON.stringify(web) !== JSON.stringify(expected)) {
        differences.push(`${node.id}: web ${JSON.stringify(web)} node ${JSON.stringify(expected)}`)
      }
    })
    console.log(`${messages.length} messages: max |confidence(web) - confidence(node)| = ${worst}`)
    expect(differences).toEqual([])
    expect(worst).toBeLessThan(1e-5)
  })

  it("escalates what the student is unsure of and what a call forces, keeps `never` local, and taps each cloud answer", async () => {
    const escalated = results.filter((r) => r.source === "cloud")
    results.forEach((r, k) => {
      const message = messages[k]!
      expect(r.source === "cloud", message.id).toBe(wanted(message, r.input.confidence, threshold))
      expect(r.degraded, message.id).toBe(false)
    })
    const unsure = results.filter(
      (r) => r.input.input.escalate === undefined && r.input.confidence < threshold,
    )
    expect(unsure.length).toBeGreaterThan(0)
    expect(unsure.every((r) => r.source === "cloud")).toBe(true)
    const forced = results.filter((r) => r.input.input.escalate === "always")
    expect(forced).toHaveLength(4)
    for (const r of forced) {
      expect(r.input.confidence).toBeGreaterThanOrEqual(threshold)
      expect(r.source).toBe("cloud")
    }
    const kept = results.filter((r) => r.input.input.escalate === "never")
    expect(kept).toHaveLength(1)
    expect(kept[0]!.input.confidence).toBeLessThan(threshold)
    expect(answerOf(kept[0]!)).toMatchObject({ escalated: false, degraded: false, tokensSent: 0 })
    expect(escalated).toHaveLength(unsure.length + forced.length)

    // The tap runs off the caller's path: its records arrive after the answers.
    await vi.waitFor(() => expect(cascade.labelled).toHaveLength(escalated.length), {
      timeout: 20_000,
    })
    const byId = new Map(cascade.labelled.map((item) => [item.id, item]))
    for (const r of escalated) {
      expect(byId.get(r.input.input.id)).toEqual({
        id: r.input.input.id,
        text: r.input.prompt!.text,
        label: r.value,
        studentLabel: r.input.label,
        studentConfidence: r.input.confidence,
      })
    }
  })

  it("sent the cloud tier the escalated prompts and nothing else: masked, no address of the original mails", async () => {
    const escalated = results.filter((r) => r.source === "cloud")
    let entries: Array<RequestLog.Entry> = []
    const chats = () => entries.filter((e) => e.method !== "OPTIONS")
    await vi.waitFor(
      async () => {
        entries = (await commands.readJsonLines(reference.requestLog)) as Array<RequestLog.Entry>
        expect(chats().length).toBeGreaterThanOrEqual(escalated.length)
      },
      { timeout: 20_000 },
    )
    // The browser's CORS preflights (cached for 600 s) carry nothing.
    const preflights = entries.filter((e) => e.method === "OPTIONS")
    expect(preflights.length).toBeGreaterThan(0)
    for (const preflight of preflights) {
      expect(preflight).toMatchObject({ status: 204, messages: null })
    }
    expect(chats()).toHaveLength(escalated.length)
    for (const entry of chats()) {
      expect(entry).toMatchObject({
        method: "POST",
        path: "/v1/chat/completions",
        status: 200,
        model: reference.model,
      })
    }
    const sent = chats().map((e) => (e.messages as Array<{ content: string }>)[0]!.content)
    expect(sent.sort()).toEqual(escalated.map((r) => r.input.prompt!.text).sort())

    const log = JSON.stringify(entries)
    const originals = new Set(escalated.flatMap((r) => addressesIn(r.input.input.text)))
    expect(originals.size).toBeGreaterThan(0)
    expect([...originals].filter((address) => log.includes(address))).toEqual([])
    expect(log).toContain("[email]")
  })

  it("with the cloud unreachable, what it would escalate comes back degraded with the student's label, and nothing fails", async () => {
    const tier = inject("cloudTier")
    const offline = startCascade(tier.unreachableUrl, reference.model)
    try {
      const picked = messages
        .map((message, k) => ({ message, node: answers[k]! }))
        .filter(({ node }, k) => node.escalated || k < 20)
      const settled = await Promise.allSettled(
        picked.map(({ message }) => offline.runner.run(message)),
      )
      expect(settled.filter((s) => s.status === "rejected")).toEqual([])
      settled.forEach((s, k) => {
        const { message, node } = picked[k]!
        const r = answerOf((s as PromiseFulfilledResult<Escalated>).value)
        if (node.escalated) {
          expect(r, message.id).toMatchObject({
            label: node.studentLabel,
            escalated: false,
            degraded: true,
            tokensSent: 0,
          })
          expect(r.reason, message.id).toBeTruthy()
        } else {
          expect(r, message.id).toMatchObject({
            label: node.label,
            escalated: false,
            degraded: false,
          })
        }
      })
      expect(picked.filter(({ node }) => node.escalated).length).toBeGreaterThan(4)
      expect(offline.labelled).toEqual([])
    } finally {
      await offline.close()
    }
  })
})
