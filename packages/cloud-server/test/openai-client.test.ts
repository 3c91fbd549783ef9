/**
 * The server as OpenAI's official client sees it: every call here is made
 * with the `openai` package, as an app pointed at this server would make it.
 */
import { encode, encodeChat } from "gpt-tokenizer/encoding/o200k_base"
import OpenAI, {
  type APIError,
  type AuthenticationError,
  type NotFoundError,
  type RateLimitError,
} from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CloudServer } from "../src/index.js"
import { gated, keywordTriage } from "./support/classifiers.js"

const KEY = "sk-test-edgeline"
const triage = {
  type: "json_schema",
  json_schema: {
    name: "triage",
    strict: true,
    schema: {
      type: "object",
      properties: {
        label: { type: "string", enum: ["ham", "spam"] },
        confidence: { type: "number" },
      },
      required: ["label", "confidence"],
      additionalProperties: false,
    },
  },
} as const

let server: CloudServer.Server
let client: OpenAI
beforeAll(async () => {
  server = await CloudServer.start({
    models: [keywordTriage],
    apiKeys: [KEY],
    maxBodyBytes: 64 * 1024,
  })
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 })
})
afterAll(() => server?.close())

describe("models", () => {
  it("lists the served model, and retrieves it by id", async () => {
    const page = await client.models.list()
    expect(page.data).toEqual([
      { id: "keyword-triage", object: "model", created: expect.any(Number), owned_by: "edgeline" },
    ])
    const model = await client.models.retrieve("keyword-triage")
    expect(model).toEqual(page.data[0])
  })

  it("an unknown model is a NotFoundError with code model_not_found", async () => {
    const error = await client.models.retrieve("gpt-9").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as NotFoundError).code).toBe("model_not_found")
  })
})

describe("chat.completions.create", () => {
  const messages = [
    { role: "system", content: "Label the message as ham or spam. Answer in JSON." },
    { role: "user", content: "URGENT: you are a winner, claim your free prize" },
  ] as const

  it("fills a json_schema answer, with logprobs where the label is", async () => {
    const completion = await client.chat.completions.create({
      model: "keyword-triage",
      messages: [...messages],
      response_format: triage,
      logprobs: true,
      top_logprobs: 2,
    })
    expect(completion.object).toBe("chat.completion")
    expect(completion.id).toMatch(/^chatcmpl-/)
    const choice = completion.choices[0]!
    expect(choice.finish_reason).toBe("stop")
    expect(choice.message.refusal).toBeNull()
    // Four spam words: p(spam) = min(0.95, 0.1 + 4 × 0.25).
    expect(JSON.parse(choice.message.content!)).toEqual({ label: "spam", confidence: 0.95 })

    const tokens = choice.logprobs!.content!
    expect(tokens.map((t) => t.token).join("")).toBe(choice.message.content)
    const label = tokens.find((t) => t.logprob !== 0)!
    expect(label.token).toBe("spam")
    expect(label.logprob).toBeCloseTo(Math.log(0.95), 12)
    expect(label.top_logprobs.map((t) => [t.token, t.logprob])).toEqual([
      ["spam", Math.log(0.95)],
      ["ham", Math.log(1 - 0.95)],
    ])
  })

  it("counts usage as gpt-tokenizer's o200k_base does", async () => {
    const completion = await client.chat.completions.create({
      model: "keyword-triage",
      messages: [...messages],
      response_format: triage,
    })
    const content = completion.choices[0]!.message.content!
    const prompt = encodeChat(messages, "gpt-4o").length
    const answer = encode(content).length
    expect(completion.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: answer,
      total_tokens: prompt + answer,
    })
  })

  it("a wrong key is an AuthenticationError", async () => {
    const stranger = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 })
    const error = await stranger.models.list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((error as AuthenticationError).code).toBe("invalid_api_key")
  })

  it("an unknown model is a NotFoundError", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as APIError).code).toBe("model_not_found")
    expect((error as APIError).message).toContain("gpt-9")
  })

  it("a body over the limit is a 413", async () => {
    const error = await client.chat.completions
      .create({
        model: "keyword-triage",
        messages: [{ role: "user", content: "x".repeat(100_000) }],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as APIError).status).toBe(413)
    expect((error as APIError).code).toBe("request_too_large")
  })

  it("a body that is not JSON is a BadRequestError", async () => {
    const error = await client
      .post("/chat/completions", {
        body: new TextEncoder().encode('{"model": "keyword-triage", '),
        headers: { "content-type": "application/json" },
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as APIError).message).toContain("could not parse the JSON body")
  })

  it("a field of the wrong type is a BadRequestError naming the field", async () => {
    const error = await client.chat.completions
      .create({
        model: "keyword-triage",
        messages: [{ role: "user", content: 42 as unknown as string }],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as APIError).param).toBe("messages[0].content")
    expect((error as APIError).code).toBe("invalid_type")
    expect((error as APIError).message).toContain("got 42")
  })

  it("top_logprobs over 20 is a BadRequestError naming it", async () => {
    const error = await client.chat.completions
      .create({
        model: "keyword-triage",
        messages: [{ role: "user", content: "hi" }],
        logprobs: true,
        top_logprobs: 21,
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as APIError).param).toBe("top_logprobs")
    expect((error as APIError).message).toMatch(/between 0 and 20/)
  })
})

describe("over the concurrency limit", () => {
  it("is a RateLimitError at once, with Retry-After in seconds", async () => {
    const { model, entered, release } = gated()
    const busy = await CloudServer.start({ models: [model], maxConcurrent: 1 })
    try {
      const caller = new OpenAI({ baseURL: `${busy.url}/v1`, apiKey: "unused", maxRetries: 0 })
      const first = caller.chat.completions.create({
        model: "gated",
        messages: [{ role: "user", content: "one" }],
      })
      await entered()
      // The first request holds the only slot until release(), below: a server
      // that queued this one instead of answering at once would never get there.
      const error = await caller.chat.completions
        .create({ model: "gated", messages: [{ role: "user", content: "two" }] })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OpenAI.RateLimitError)
      expect((error as RateLimitError).code).toBe("rate_limit_exceeded")
      expect((error as RateLimitError).headers.get("retry-after")).toBe("1")
      release()
      expect((await first).choices[0]!.message.content).toBe("ham")
      // The slot is free again.
      const again = caller.chat.completions.create({
        model: "gated",
        messages: [{ role: "user", content: "three" }],
      })
      await entered()
      release()
      expect((await again).choices).toHaveLength(1)
    } finally {
      release()
      await busy.close()
    }
  })
})
