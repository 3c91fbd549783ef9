/**
 * The wire protocol over plain `fetch`: exact response shapes, each
 * response_format, logprobs, and every error in OpenAI's shape with its
 * status. The classifiers are the tests' own (support/classifiers.ts).
 */
import { decode, encode } from "gpt-tokenizer/encoding/o200k_base"
import type OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ChatClassifier, CloudServer } from "../src/index.js"
import type { ChatCompletion } from "../src/internal/Completion.js"
import { keywordTriage } from "./support/classifiers.js"

// Our response type is one the openai package accepts as its own: a compile-time check.
const _sameShape = (c: ChatCompletion): OpenAI.ChatCompletion => ({
  ...c,
  choices: c.choices.map((choice) => ({
    ...choice,
    logprobs:
      choice.logprobs === null
        ? null
        : { content: [...choice.logprobs.content], refusal: choice.logprobs.refusal },
  })),
})
void _sameShape

const broken: ChatClassifier = {
  id: "broken",
  labels: ["ham", "spam"],
  classify: async () => {
    throw new Error("the weights are missing")
  },
}
const wrongRows: ChatClassifier = {
  id: "wrong-rows",
  labels: ["ham", "spam"],
  classify: async (texts) => texts.map(() => [0.2, 0.3, 0.5]),
}
const threeWay: ChatClassifier = {
  id: "three-way",
  labels: ["billing", "bug", "praise"],
  classify: async (texts) => texts.map(() => [0.2, 0.7, 0.1]),
}

const sharedStart: ChatClassifier = {
  id: "shared-start",
  labels: ["spam", "spammy", "ham"],
  classify: async (texts) => texts.map(() => [0.5, 0.2, 0.3]),
}

const nonAscii: ChatClassifier = {
  id: "non-ascii",
  labels: ["🦜 perroquet", "🐟 poisson"],
  classify: async (texts) => texts.map(() => [0.9, 0.1]),
}

let server: CloudServer.Server
beforeAll(async () => {
  server = await CloudServer.start({
    models: [keywordTriage, broken, wrongRows, threeWay, sharedStart, nonAscii],
  })
})
afterAll(() => server?.close())

const post = (body: unknown, path = "/v1/chat/completions") =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  })

const chat = async (extra: Record<string, unknown>, text = "hello, lunch at noon?") => {
  const response = await post({
    model: "keyword-triage",
    messages: [{ role: "user", content: text }],
    ...extra,
  })
  return { status: response.status, body: await response.json() }
}

const schema = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  response_format: {
    type: "json_schema",
    json_schema: { name: "answer", strict: true, schema: { type: "object", properties, required } },
  },
})

const errorOf = (message: unknown, type: string, param: string | null, code: string | null) => ({
  error: { message, type, param, code },
})

describe("POST /v1/chat/completions", () => {
  it("answers in OpenAI's exact shape", async () => {
    const { status, body } = await chat({})
    expect(status).toBe(200)
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-\w+$/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "keyword-triage",
      system_fingerprint: expect.stringMatching(/^fp_[0-9a-f]{10}$/),
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "ham", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: 1,
        total_tokens: expect.any(Number),
      },
    })
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60)
  })

  it("classifies the last user message, read from string content or text parts", async () => {
    const response = await post({
      model: "keyword-triage",
      messages: [
        { role: "user", content: "claim your free prize" },
        { role: "assistant", content: "spam" },
        {
          role: "user",
          content: [
            { type: "text", text: "see you at" },
            { type: "text", text: "the meeting" },
          ],
        },
      ],
    })
    expect((await response.json()).choices[0].message.content).toBe("ham")
  })

  it("json_schema: the label and a probability under the schema's own keys, in its order", async () => {
    const { body } = await chat(
      schema({
        probability: { type: "number" },
        verdict: { type: "string", enum: ["spam", "ham"] },
      }),
      "free cash",
    )
    const content = body.choices[0].message.content
    expect(content).toBe('{"probability":0.6,"verdict":"spam"}')
    expect(Object.keys(JSON.parse(content))).toEqual(["probability", "verdict"])
  })

  it("json_schema: without a confidence property, the label alone; optional others left out", async () => {
    const { body } = await chat(
      schema({ label: { enum: ["ham", "spam"] }, reason: { type: "string" } }, ["label"]),
    )
    expect(body.choices[0].message.content).toBe('{"label":"ham"}')
  })

  it("json_schema: a schema the model cannot fill is a 400 saying what it can fill", async () => {
    for (const format of [
      schema({ label: { type: "string", enum: ["ham", "spam"] }, reason: { type: "string" } }),
      schema({ label: { type: "string", enum: ["ham", "spam", "eggs"] } }),
      schema({ label: { type: "string" } }),
      { response_format: { type: "json_schema", json_schema: { name: "answer" } } },
    ]) {
      const { status, body } = await chat(format)
      expect(status).toBe(400)
      expect(body).toEqual(
        errorOf(
          expect.stringContaining("Invalid schema for response_format 'answer'"),
          "invalid_request_error",
          "response_format",
          null,
        ),
      )
      expect(body.error.message).toContain('"enum" is its labels ["ham","spam"]')
    }
    const { body } = await chat(
      schema({ label: { type: "string", enum: ["ham", "spam"] }, reason: { type: "string" } }),
    )
    expect(body.error.message).toContain('it requires "reason", which the model cannot fill')
  })

  it("json_object: label and confidence; the messages must say json, as OpenAI requires", async () => {
    const { body } = await chat(
      { response_format: { type: "json_object" } },
      "reply in JSON: free prize",
    )
    expect(JSON.parse(body.choices[0].message.content)).toEqual({ label: "spam", confidence: 0.6 })
    const refused = await chat({ response_format: { type: "json_object" } })
    expect(refused.status).toBe(400)
    expect(refused.body.error.param).toBe("messages")
    expect(refused.body.error.message).toContain("must contain the word 'json'")
  })

  it("text: the bare label", async () => {
    const { body } = await chat({ response_format: { type: "text" } }, "you are a winner")
    expect(body.choices[0].message.content).toBe("ham")
    const spam = await chat({ response_format: { type: "text" } }, "winner winner, free cash")
    expect(spam.body.choices[0].message.content).toBe("spam")
  })

  it("n > 1 gives n identical choices and counts the completion tokens of each", async () => {
    const { body } = await chat({ n: 3 })
    expect(body.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2])
    expect(
      new Set(body.choices.map((c: { message: { content: string } }) => c.message.content)).size,
    ).toBe(1)
    expect(body.usage.completion_tokens).toBe(3)
  })

  it("stream: true is refused with a 400 saying so", async () => {
    const { status, body } = await chat({ stream: true })
    expect(status).toBe(400)
    expect(body).toEqual(
      errorOf(
        expect.stringContaining("Streaming is not supported"),
        "invalid_request_error",
        "stream",
        "unsupported_value",
      ),
    )
  })

  it("top_logprobs without logprobs is a 400", async () => {
    const { status, body } = await chat({ top_logprobs: 3 })
    expect(status).toBe(400)
    expect(body.error.param).toBe("top_logprobs")
  })

  it("logprobs without top_logprobs: per-token logprobs, empty alternatives", async () => {
    const { body } = await chat({ logprobs: true }, "free prize")
    const tokens = body.choices[0].logprobs.content
    expect(tokens.map((t: { token: string }) => t.token)).toEqual(["spam"])
    expect(tokens[0]).toEqual({
      token: "spam",
      logprob: Math.log(0.6),
      bytes: [115, 112, 97, 109],
      top_logprobs: [],
    })
    expect(body.choices[0].logprobs.refusal).toBeNull()
  })

  it("top_logprobs lists at most that many labels, most probable first", async () => {
    const response = await post({
      model: "three-way",
      messages: [{ role: "user", content: "the app crashes" }],
      ...schema({ label: { type: "string", enum: ["praise", "bug", "billing"] } }),
      logprobs: true,
      top_logprobs: 2,
    })
    const body = await response.json()
    const label = body.choices[0].logprobs.content.find((t: { logprob: number }) => t.logprob !== 0)
    expect(label.token).toBe("bug")
    expect(
      label.top_logprobs.map((t: { token: string; logprob: number }) => [t.token, t.logprob]),
    ).toEqual([
      ["bug", Math.log(0.7)],
      ["billing", Math.log(0.2)],
    ])
  })

  it("labels that start with the same token share it: its probability is their sum", async () => {
    const response = await post({
      model: "shared-start",
      messages: [{ role: "user", content: "anything" }],
      logprobs: true,
      top_logprobs: 5,
    })
    const body = await response.json()
    expect(body.choices[0].message.content).toBe("spam")
    // "spammy" is "spam" + "my": the first token is "spam" for both.
    expect(body.choices[0].logprobs.content[0]).toEqual({
      token: "spam",
      logprob: Math.log(0.5 + 0.2),
      bytes: [115, 112, 97, 109],
      top_logprobs: [
        { token: "spam", logprob: Math.log(0.5 + 0.2), bytes: [115, 112, 97, 109] },
        { token: "ham", logprob: Math.log(0.3), bytes: [104, 97, 109] },
      ],
    })
  })

  it("a classifier that fails is a 500 naming the model; one that gives bad rows too", async () => {
    for (const [model, says] of [
      ["broken", "the weights are missing"],
      ["wrong-rows", "it gave 3 probabilities for 2 labels"],
    ]) {
      const response = await post({ model, messages: [{ role: "user", content: "hi" }] })
      expect(response.status).toBe(500)
      expect(await response.json()).toEqual(
        errorOf(`The model "${model}" failed: ${says}`, "server_error", null, null),
      )
    }
  })

  it("messages without a user message is a 400", async () => {
    const response = await post({
      model: "keyword-triage",
      messages: [{ role: "system", content: "hi" }],
    })
    expect(response.status).toBe(400)
    expect((await response.json()).error.message).toContain("must hold a user message")
  })

  it("a missing field is a 400 with code missing_required_parameter", async () => {
    const response = await post({ messages: [{ role: "user", content: "hi" }] })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual(
      errorOf(
        "Missing required parameter: 'model'.",
        "invalid_request_error",
        "model",
        "missing_required_parameter",
      ),
    )
  })

  it("an unknown role or response_format type is a 400 naming the field", async () => {
    const role = await post({
      model: "keyword-triage",
      messages: [{ role: "robot", content: "hi" }],
    })
    expect((await role.json()).error.param).toBe("messages[0].role")
    const { body } = await chat({ response_format: { type: "xml" } })
    expect(body.error.param).toBe("response_format")
    expect(body.error.message).toContain('{ type: "json_object" }')
  })

  it("a body that is JSON but not an object is a 400", async () => {
    const response = await post("[1, 2]")
    expect(response.status).toBe(400)
    expect((await response.json()).error.message).toBe(
      "The request body must be a JSON object, got [1,2].",
    )
  })
})

describe("the label's token", () => {
  // A client finds the label in the logprobs by its token: each label must be one whole token
  // in every content the server writes, bare or JSON-quoted.
  it.each([
    ["ham", "text"],
    ["spam", "text"],
    ["ham", "json"],
    ["spam", "json"],
  ])("%s as %s content is one token of its own", async (label, kind) => {
    const text = label === "spam" ? "free cash prize" : "lunch?"
    const { body } = await chat(
      kind === "json"
        ? {
            ...schema({
              label: { type: "string", enum: ["ham", "spam"] },
              confidence: { type: "number" },
            }),
            logprobs: true,
          }
        : { logprobs: true },
      text,
    )
    const content: string = body.choices[0].message.content
    const tokens: Array<{ token: string; logprob: number }> = body.choices[0].logprobs.content
    expect(tokens.map((t) => t.token)).toEqual(encode(content).map((id) => decode([id])))
    expect(tokens.filter((t) => t.token === label)).toHaveLength(1)
    expect(tokens.find((t) => t.logprob !== 0)?.token).toBe(label)
    if (kind === "json") expect(content).toContain(`"${label}"`)
  })
})

describe("token bytes", () => {
  it("add up to the content's UTF-8, also where a token is part of a character", async () => {
    const response = await post({
      model: "non-ascii",
      messages: [{ role: "user", content: "which bird?" }],
      ...schema({ label: { type: "string", enum: ["🐟 poisson", "🦜 perroquet"] } }),
      logprobs: true,
      top_logprobs: 2,
    })
    const body = await response.json()
    const content: string = body.choices[0].message.content
    expect(content).toBe('{"label":"🦜 perroquet"}')
    const tokens: Array<{ token: string; bytes: Array<number>; logprob: number }> =
      body.choices[0].logprobs.content
    expect(tokens.flatMap((t) => t.bytes)).toEqual([...new TextEncoder().encode(content)])
    // The parrot is more than one token: the first holds part of its bytes, written as \xNN.
    const first = tokens.find((t) => t.logprob !== 0)!
    expect(first.logprob).toBeCloseTo(Math.log(0.9), 12)
    expect(first.bytes[0]).toBe(0xf0)
    expect(first.token).toMatch(/^(\\x[0-9a-f]{2})+$/)
  })
})

describe("GET /v1/models", () => {
  it("lists every model in OpenAI's shape", async () => {
    const body = await (await fetch(`${server.url}/v1/models`)).json()
    expect(body).toEqual({
      object: "list",
      data: [
        "keyword-triage",
        "broken",
        "wrong-rows",
        "three-way",
        "shared-start",
        "non-ascii",
      ].map((id) => ({
        id,
        object: "model",
        created: expect.any(Number),
        owned_by: "edgeline",
      })),
    })
  })

  it("an unknown id is a 404 model_not_found", async () => {
    const response = await fetch(`${server.url}/v1/models/gpt-9`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual(
      errorOf(
        expect.stringContaining("`gpt-9` does not exist"),
        "invalid_request_error",
        "model",
        "model_not_found",
      ),
    )
  })
})

describe("routes", () => {
  it("an unknown route is a 404 in OpenAI's shape", async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, { method: "POST", body: "{}" })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual(
      errorOf("Invalid URL (POST /v1/embeddings)", "invalid_request_error", null, null),
    )
  })

  it("a known route with the wrong method is a 405 with Allow", async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`)
    expect(response.status).toBe(405)
    expect(response.headers.get("allow")).toBe("POST")
    expect((await response.json()).error.type).toBe("invalid_request_error")
    const del = await fetch(`${server.url}/v1/models/keyword-triage`, { method: "DELETE" })
    expect(del.status).toBe(405)
    expect(del.headers.get("allow")).toBe("GET")
  })
})
