/**
 * OpenAiTeacher against a real HTTP server on loopback that speaks the
 * chat-completions shapes, and misbehaves on demand.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { OpenAiTeacher, Teacher, TeacherOptionsError } from "../src/index.js"
import { type ChatServer, startChatServer, truth } from "./support/chatServer.js"

const labels = ["ham", "spam"] as const
const SPAMMY = "WIN a FREE cruise, click now"
const PLAIN = "Are we still on for lunch tomorrow?"

/** What a promise rejects with (fails the test if it resolves). */
const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error("expected a rejection")
}

let server: ChatServer
beforeAll(async () => {
  server = await startChatServer({ apiKey: "sk-test" })
})
afterAll(() => server.close())

const teacherOn = (url: string, options: Partial<OpenAiTeacher.Options> = {}) =>
  OpenAiTeacher.make({ baseUrl: url, apiKey: "sk-test", model: "big-model", labels, ...options })

describe("a well-behaved server", () => {
  it("soft labels come from the label token's top logprobs, prefix-matched to the labels", async () => {
    const teacher = teacherOn(server.url)
    const answer = await Teacher.labelPromise(teacher, SPAMMY)
    expect(answer.source).toBe("logprobs")
    const expected = truth(labels, SPAMMY)
    answer.probabilities.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i] as number, 4)
    })
    expect(Teacher.topLabel(teacher, answer)).toBe("spam")
    const plain = await Teacher.labelPromise(teacher, PLAIN)
    expect(plain.probabilities[0]).toBeCloseTo(0.85, 4)
  })

  it("sends the instructions as system, the text as user, a JSON schema with the labels, logprobs and the key", async () => {
    const teacher = teacherOn(server.url, { instructions: "Triage mail.", temperature: 0.2 })
    const before = server.requests.length
    const answer = await Teacher.labelPromise(teacher, PLAIN)
    const sent = server.requests[before]
    expect(sent?.headers.authorization).toBe("Bearer sk-test")
    expect(sent?.body).toMatchObject({
      model: "big-model",
      temperature: 0.2,
      messages: [
        { role: "system", content: "Triage mail." },
        { role: "user", content: PLAIN },
      ],
      response_format: {
        type: "json_schema",
        json_schema: {
          strict: true,
          schema: {
            type: "object",
            properties: {
              label: { type: "string", enum: ["ham", "spam"] },
              confidence: { type: "number" },
            },
          },
        },
      },
      logprobs: true,
      top_logprobs: 5,
    })
    // The server's own usage numbers come back.
    expect(answer.usage.promptTokens).toBe(Math.ceil(("Triage mail.".length + PLAIN.length) / 4))
    expect(answer.usage.completionTokens).toBeGreaterThan(0)
  })

  it("reads a label token that carries its opening quote", async () => {
    const quoted = await startChatServer({ tokens: "quoted" })
    try {
      const answer = await Teacher.labelPromise(teacherOn(quoted.url), SPAMMY)
      expect(answer.source).toBe("logprobs")
      expect(answer.probabilities[1]).toBeCloseTo(0.95, 4)
    } finally {
      await quoted.close()
    }
  })

  it("with logprobs off, spreads the stated confidence over the other labels", async () => {
    const three = ["ham", "promo", "spam"]
    const teacher = teacherOn(server.url, { labels: three, logprobs: false })
    const before = server.requests.length
    const answer = await Teacher.labelPromise(teacher, SPAMMY)
    expect(server.requests[before]?.body.logprobs).toBeUndefined()
    expect(answer.source).toBe("json")
    expect("temperature" in server.requests[before]!.body).toBe(true)
    expect(answer.probabilities[2]).toBeCloseTo(0.95, 6)
    expect(answer.probabilities[0]).toBeCloseTo(0.025, 6)
    expect(answer.probabilities[1]).toBeCloseTo(0.025, 6)
  })

  it("temperature null sends none", async () => {
    const before = server.requests.length
    await Teacher.labelPromise(teacherOn(server.url, { temperature: null }), PLAIN)
    expect("temperature" in server.requests[before]!.body).toBe(false)
  })

  it("a server that leaves logprobs out gives a JSON soft label; without confidence, one-hot", async () => {
    server.script(PLAIN, [{ kind: "no-logprobs" }])
    const answer = await Teacher.labelPromise(teacherOn(server.url), PLAIN)
    expect(answer.source).toBe("json")
    expect(answer.probabilities[0]).toBeCloseTo(0.85, 6)

    const terse = await startChatServer({ logprobs: false, confidence: false })
    try {
      const oneHot = await Teacher.labelPromise(teacherOn(terse.url), SPAMMY)
      expect(oneHot).toMatchObject({ source: "json", probabilities: [0, 1] })
    } finally {
      await terse.close()
    }
  })

  it('"auto" stops asking for logprobs once the server refuses them; true reports the refusal', async () => {
    const refusing = await startChatServer({ refuseLogprobs: true })
    try {
      const auto = teacherOn(refusing.url)
      const first = await Teacher.labelPromise(auto, SPAMMY)
      expect(first.source).toBe("json")
      await Teacher.labelPromise(auto, PLAIN)
      // One refused request, then plain ones only.
      expect(refusing.requests.map((r) => r.body.logprobs)).toEqual([true, undefined, undefined])

      const error = await rejection(
        Teacher.labelPromise(teacherOn(refusing.url, { logprobs: true }), PLAIN),
      )
      expect(error._tag).toBe("TeacherRejectedError")
      expect(error.status).toBe(400)
      expect(error.message).toContain("logprobs is not supported")
    } finally {
      await refusing.close()
    }
  })
})

describe("a misbehaving server", () => {
  it("malformed JSON is a TeacherAnswerError carrying what was said and the tokens spent", async () => {
    const text = "malformed please"
    server.script(text, [{ kind: "malformed-json" }])
    const error = await rejection(Teacher.labelPromise(teacherOn(server.url), text))
    expect(error._tag).toBe("TeacherAnswerError")
    expect(error.message).toContain("not JSON")
    expect(error.answer).toContain('{"label"')
    expect(error.usage.promptTokens).toBeGreaterThan(0)
    expect(Teacher.isRetryable(error)).toBe(true)
  })

  it("a label outside the enum is a TeacherAnswerError naming it", async () => {
    const text = "unknown label please"
    server.script(text, [{ kind: "unknown-label" }])
    const error = await rejection(Teacher.labelPromise(teacherOn(server.url), text))
    expect(error._tag).toBe("TeacherAnswerError")
    expect(error.message).toContain('"eggs" is not one of ham, spam')
  })

  it("429 is a retryable TeacherRequestError with the Retry-After in ms; 500 too", async () => {
    const text = "rate limited"
    server.script(text, [
      { kind: "status", status: 429, retryAfter: "2", message: "Rate limit reached" },
      { kind: "status", status: 500 },
    ])
    const teacher = teacherOn(server.url)
    const limited = await rejection(Teacher.labelPromise(teacher, text))
    expect(limited).toMatchObject({ _tag: "TeacherRequestError", status: 429, retryAfterMs: 2000 })
    expect(limited.message).toContain("Rate limit reached")
    const broken = await rejection(Teacher.labelPromise(teacher, text))
    expect(broken).toMatchObject({
      _tag: "TeacherRequestError",
      status: 500,
      retryAfterMs: undefined,
    })
  })

  it("401 and 404 are rejections, with a hint at the key and at the base URL", async () => {
    const badKey = await rejection(
      Teacher.labelPromise(teacherOn(server.url, { apiKey: "sk-wrong" }), PLAIN),
    )
    expect(badKey).toMatchObject({ _tag: "TeacherRejectedError", status: 401 })
    expect(badKey.message).toContain("check the apiKey")
    expect(Teacher.isRetryable(badKey)).toBe(false)
    const noV1 = await rejection(
      Teacher.labelPromise(teacherOn(server.url.replace(/\/v1$/, "")), PLAIN),
    )
    expect(noV1).toMatchObject({ _tag: "TeacherRejectedError", status: 404 })
    expect(noV1.message).toContain("often /v1")
  })

  it("a slow answer times out as a retryable TeacherRequestError, and the request is aborted", async () => {
    const text = "slow answer"
    // Far longer than the test may run: only the timeout can end the call.
    server.script(text, [{ kind: "slow", delayMs: 120_000 }])
    const abandoned = server.abandoned()
    const error = await rejection(
      Teacher.labelPromise(teacherOn(server.url, { timeoutMs: 150 }), text),
    )
    expect(error._tag).toBe("TeacherRequestError")
    expect(error.message).toContain("within 150 ms")
    await vi.waitFor(() => expect(server.abandoned()).toBe(abandoned + 1))
  })

  it("a 200 that is not a chat completion, and a server that is not there, are request errors", async () => {
    const text = "html gateway"
    server.script(text, [{ kind: "html" }])
    const html = await rejection(Teacher.labelPromise(teacherOn(server.url), text))
    expect(html._tag).toBe("TeacherRequestError")
    expect(html.message).toContain("not JSON")
    expect(html.message).toContain("<html>gateway</html>")

    const gone = await startChatServer()
    await gone.close()
    const down = await rejection(Teacher.labelPromise(teacherOn(gone.url), PLAIN))
    expect(down._tag).toBe("TeacherRequestError")
    expect(down.message).toContain("ECONNREFUSED")
  })

  it("an aborted call aborts its request", async () => {
    const text = "abort me"
    server.script(text, [{ kind: "slow", delayMs: 120_000 }])
    const abandoned = server.abandoned()
    const asked = server.requests.length
    const controller = new AbortController()
    const call = Teacher.labelPromise(teacherOn(server.url), text, { signal: controller.signal })
    await vi.waitFor(() => expect(server.requests.length).toBe(asked + 1))
    controller.abort()
    await rejection(call)
    await vi.waitFor(() => expect(server.abandoned()).toBe(abandoned + 1))
  })
})

describe("options", () => {
  it("bad options throw TeacherOptionsError saying which", () => {
    const make = (options: Partial<OpenAiTeacher.Options>) => () =>
      OpenAiTeacher.make({ baseUrl: server.url, model: "m", labels, ...options })
    expect(make({ baseUrl: "localhost:8080" })).toThrow(/not an http\(s\) URL/)
    expect(make({ labels: ["spam"] })).toThrow(/at least two labels/)
    expect(make({ labels: ["spam", "spam"] })).toThrow(/appears twice/)
    expect(make({ model: "" })).toThrow(/model/)
    expect(make({ topLogprobs: 30 })).toThrow(/topLogprobs/)
    expect(make({ pricing: { inputPerMillion: -1, outputPerMillion: 1 } })).toThrow(/pricing/)
    expect(make({ labels: [] })).toThrow(TeacherOptionsError)
  })

  it("the id follows what decides the answers, not where the server is", () => {
    const id = (options: Partial<OpenAiTeacher.Options>) =>
      OpenAiTeacher.make({ baseUrl: server.url, model: "m", labels, ...options }).id
    expect(id({})).toBe(id({ baseUrl: "https://elsewhere.example/v1", apiKey: "k" }))
    expect(id({})).toMatch(/^openai:m#[0-9a-f]{8}$/)
    expect(id({ instructions: "other" })).not.toBe(id({}))
    expect(id({ temperature: 0.7 })).not.toBe(id({}))
    expect(id({ temperature: null })).not.toBe(id({}))
    expect(id({ logprobs: false })).not.toBe(id({}))
    expect(id({ model: "m2" })).not.toBe(id({}))
    expect(id({ id: "mine" })).toBe("mine")
  })
})
