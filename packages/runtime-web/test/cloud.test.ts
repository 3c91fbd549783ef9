/**
 * Core's CloudModel client in a Web Worker, against the reference cloud tier
 * (@edgeline/cloud-server's message-triage teacher) on loopback, started in
 * test/setup/cloud-tier.ts behind a CORS proxy (cloud-server has no CORS).
 */
import { describe, expect, inject, it } from "vitest"
import type { Reply } from "./cloud.worker.js"

describe("CloudModel client in a Web Worker", () => {
  it("gets a chat answer with logprobs and usage from the cloud tier, and degrades when it is gone", async () => {
    const tier = inject("cloudTier")
    const worker = new Worker(new URL("./cloud.worker.ts", import.meta.url), { type: "module" })
    const text = "URGENT: claim your FREE cash prize now!!! Click here, limited offer"
    const reply = await new Promise<Reply>((resolve, reject) => {
      worker.onmessage = ({ data }) =>
        "error" in data ? reject(new Error(data.error)) : resolve(data)
      worker.onerror = (e) => reject(new Error(e.message))
      worker.postMessage({ ...tier, text })
    })
    worker.terminate()

    expect(reply.inWorker).toBe(true)
    expect(reply.chat.model).toBe(tier.model)
    expect(reply.chat.content).toBe("spam")
    const top = reply.chat.logprobs?.[0]?.topLogprobs.map((t) => t.token)
    expect(top).toEqual(["spam", "ham"])
    expect(reply.chat.usage.promptTokens).toBeGreaterThan(0)
    expect(reply.chat.usage.completionTokens).toBeGreaterThan(0)
    const { promptTokens, completionTokens } = reply.chat.usage
    expect(reply.chat.costUsd).toBeCloseTo((promptTokens * 1 + completionTokens * 2) / 1e6, 15)
    expect(reply.usage).toMatchObject({
      requests: 1,
      attempts: 1,
      failures: 0,
      promptTokens,
      completionTokens,
    })

    expect(reply.escalated).toEqual({
      value: "spam",
      source: "cloud",
      degraded: false,
      input: text,
    })
    expect(reply.offline).toMatchObject({
      value: "ham",
      source: "local",
      degraded: true,
      input: text,
    })
    expect(reply.recorded).toHaveLength(1)
    expect(reply.recorded[0]).toMatchObject({ stage: "triage-cloud", input: text, local: "ham" })
  })
})
