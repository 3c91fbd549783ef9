/**
 * The OpenAI-compatible CloudModel client against a real HTTP server on
 * loopback (test/support/openAiServer.ts; why not the reference cloud tier:
 * see there). Waits are checked with the server's receive timestamps.
 */
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import * as CloudModel from "../src/CloudModel.js"
import {
  CancelledError,
  CloudAnswerError,
  CloudRejectedError,
  CloudRequestError,
  CloudTimeoutError,
} from "../src/Errors.js"
import * as Escalate from "../src/Escalate.js"
import * as OpenAiCloudModel from "../src/OpenAiCloudModel.js"
import * as Pipeline from "../src/Pipeline.js"
import {
  apiError,
  completion,
  parseMultipart,
  startServer,
  type TestServer,
} from "./support/openAiServer.js"

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.script(undefined)
  server.received.length = 0
})

const options = (extra: Partial<OpenAiCloudModel.Options> = {}): OpenAiCloudModel.Options => ({
  baseUrl: server.baseUrl,
  apiKey: "test-key",
  model: "gpt-test",
  retries: { maxAttempts: 3, baseDelayMs: 10 },
  ...extra,
})

/** Runs `f` with one client (one circuit, one set of totals) made from `opts`. */
const withCloud = <A, E>(
  opts: OpenAiCloudModel.Options,
  f: (cloud: CloudModel.Shape) => Effect.Effect<A, E>,
): Promise<A> =>
  Effect.runPromise(CloudModel.CloudModel.use(f).pipe(Effect.provide(OpenAiCloudModel.layer(opts))))

const ask = (content: string): CloudModel.ChatRequest => ({
  messages: [{ role: "user", content }],
})

describe("OpenAiCloudModel: chat", () => {
  it("sends OpenAI's request and reads content, logprobs, usage and cost", async () => {
    const reply = await withCloud(
      options({ pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } }),
      (cloud) =>
        cloud.chat({
          messages: [
            { role: "system", content: "Answer in JSON." },
            { role: "user", content: "win a prize" },
          ],
          temperature: 0,
          maxTokens: 20,
          topLogprobs: 2,
          responseFormat: {
            type: "json_schema",
            name: "label",
            schema: { type: "object" },
            strict: true,
          },
          extra: { seed: 7 },
        }),
    )
    expect(reply.content).toBe("echo: win a prize")
    expect(reply.model).toBe("gpt-test")
    expect(reply.finishReason).toBe("stop")
    expect(reply.usage).toEqual({ promptTokens: 12, completionTokens: 3 })
    expect(reply.costUsd).toBeCloseTo((12 * 2.5 + 3 * 10) / 1e6, 15)
    expect(reply.logprobs?.map((t) => t.token)).toEqual(["echo:", " win", " a", " prize"])
    expect(reply.logprobs?.[0]?.logprob).toBeCloseTo(Math.log(0.9), 12)
    expect(reply.logprobs?.[0]?.topLogprobs).toHaveLength(2)

    expect(server.received).toHaveLength(1)
    const [request] = server.received
    expect(request?.path).toBe("/v1/chat/completions")
    expect(request?.headers.authorization).toBe("Bearer test-key")
    expect(request?.headers["content-type"]).toMatch(/^application\/json/)
    // No trace headers unless asked: a browser's CORS preflight would need them allowed.
    expect(request?.headers.traceparent).toBeUndefined()
    expect(request?.headers.b3).toBeUndefined()
    expect(JSON.parse(request!.body.toString())).toEqual({
      seed: 7,
      model: "gpt-test",
      messages: [
        { role: "system", content: "Answer in JSON." },
        { role: "user", content: "win a prize" },
      ],
      temperature: 0,
      max_tokens: 20,
      response_format: {
        type: "json_schema",
        json_schema: { name: "label", schema: { type: "object" }, strict: true },
      },
      logprobs: true,
      top_logprobs: 2,
    })
  })

  it("answers without logprobs when none were asked for, and a request's model wins", async () => {
    const reply = await withCloud(options(), (cloud) =>
      cloud.chat({ ...ask("hi"), model: "other-model" }),
    )
    expect(reply.logprobs).toBeUndefined()
    expect(reply.model).toBe("other-model")
    expect(reply.costUsd).toBe(0) // no pricing
  })

  it("sends the trace context only when asked to", async () => {
    await withCloud(options({ tracePropagation: true }), (cloud) =>
      Effect.withSpan(cloud.chat(ask("traced")), "escalation"),
    )
    expect(server.received[0]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  })

  it("keeps running totals: calls, attempts, failures, tokens and dollars", async () => {
    server.script((request, n) =>
      request.path === "/v1/chat/completions" && n === 1
        ? { status: 400, body: apiError("bad") }
        : n === 2
          ? { body: completion("big", { promptTokens: 1000, completionTokens: 500 }) }
          : undefined,
    )
    const pricing = { inputPerMillion: 0.15, outputPerMillion: 0.6 }
    const totals = await withCloud(options({ pricing }), (cloud) =>
      Effect.gen(function* () {
        yield* cloud.chat(ask("one"))
        yield* Effect.flip(cloud.chat(ask("two")))
        yield* cloud.chat(ask("three"))
        return yield* cloud.usage
      }),
    )
    expect(totals).toEqual({
      requests: 3,
      attempts: 3,
      failures: 1,
      promptTokens: 12 + 1000,
      completionTokens: 3 + 500,
      audioSeconds: 0,
      costUsd: expect.closeTo(((12 + 1000) * 0.15 + (3 + 500) * 0.6) / 1e6, 15),
    })
  })
})

describe("OpenAiCloudModel: retries", () => {
  it("waits the Retry-After seconds of a 429 before asking again", async () => {
    server.script((_, n) =>
      n === 0
        ? {
            status: 429,
            headers: { "retry-after": "1" },
            body: apiError("slow down", "rate_limit_exceeded"),
          }
        : undefined,
    )
    const reply = await withCloud(options(), (cloud) => cloud.chat(ask("again")))
    expect(reply.content).toBe("echo: again")
    expect(server.received).toHaveLength(2)
    const [first, second] = server.received
    // Backoff alone is 10 ms; the server asked for 1 s. (Timers and Date.now
    // can disagree by a millisecond, hence the small margin.)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(995)
  })

  it("waits until a 503's Retry-After HTTP date", async () => {
    let until = 0
    server.script((request, n) => {
      if (n > 0) return undefined
      // HTTP dates have whole seconds: the next second but one from now.
      until = (Math.floor(request.at / 1000) + 2) * 1000
      return {
        status: 503,
        headers: { "retry-after": new Date(until).toUTCString() },
        body: apiError("overloaded", "server_error"),
      }
    })
    await withCloud(options(), (cloud) => cloud.chat(ask("later")))
    expect(server.received).toHaveLength(2)
    expect(server.received[1]!.at).toBeGreaterThanOrEqual(until - 5)
  })

  it("retries 408, 409, 425 and 5xx with backoff, up to maxAttempts, then fails typed", async () => {
    for (const status of [408, 409, 425, 500, 502, 504]) {
      server.script(() => ({ status, body: apiError(`status ${status}`, "server_error") }))
      server.received.length = 0
      const error = await withCloud(options({ circuitBreaker: false }), (cloud) =>
        Effect.flip(cloud.chat(ask("x"))),
      )
      expect(error).toBeInstanceOf(CloudRequestError)
      expect(error).toMatchObject({ status, retryable: true, attempts: 3 })
      expect(error.message).toContain(`status ${status}`)
      expect(server.received).toHaveLength(3)
    }
    // The attempts are spaced by a growing backoff (10 ms, then about 20 ms, with jitter).
    const [a, b, c] = server.received.map((r) => r.at)
    expect(b! - a!).toBeGreaterThanOrEqual(7)
    expect(c! - b!).toBeGreaterThanOrEqual(15)
  })

  it.each([400, 401, 403, 404, 422])("never retries a %i", async (status) => {
    server.script(() => ({ status, body: apiError(`refused with ${status}`) }))
    const error = await withCloud(options(), (cloud) => Effect.flip(cloud.chat(ask("x"))))
    expect(error).toBeInstanceOf(CloudRejectedError)
    expect(error).toMatchObject({ _tag: "CloudRejectedError", status })
    expect(error.message).toContain(`refused with ${status}`)
    expect(server.received).toHaveLength(1)
  })

  it("does not wait for a Retry-After longer than maxDelayMs: it fails with it", async () => {
    server.script(() => ({
      status: 429,
      headers: { "retry-after": "3600" },
      body: apiError("quota"),
    }))
    const error = await withCloud(options(), (cloud) => Effect.flip(cloud.chat(ask("x"))))
    expect(error).toMatchObject({ _tag: "CloudRequestError", status: 429, retryAfterMs: 3_600_000 })
    expect(server.received).toHaveLength(1)
  })

  it("times out a slow answer, each attempt, and says so", async () => {
    server.script(() => ({ delayMs: 5_000, body: completion("too late") }))
    const error = await withCloud(
      options({ timeoutMs: 200, retries: { maxAttempts: 2, baseDelayMs: 10 } }),
      (cloud) => Effect.flip(cloud.chat(ask("x"))),
    )
    expect(error).toBeInstanceOf(CloudTimeoutError)
    expect(error).toMatchObject({ timeoutMs: 200, attempts: 2 })
    expect(CloudModel.isRetryable(error)).toBe(true)
    expect(server.received).toHaveLength(2)
  })

  it("retries a refused connection, then fails with CloudRequestError", async () => {
    const gone = await startServer()
    const baseUrl = gone.baseUrl
    await gone.close()
    const error = await withCloud(options({ baseUrl }), (cloud) =>
      Effect.flip(cloud.chat(ask("x"))),
    )
    expect(error).toBeInstanceOf(CloudRequestError)
    expect(error).toMatchObject({ retryable: true, attempts: 3 })
    expect(error.message).toMatch(/ECONNREFUSED/)
  })
})

describe("OpenAiCloudModel: malformed answers", () => {
  it("a 200 whose body is not JSON is a CloudAnswerError, not retried", async () => {
    server.script(() => ({ body: "<html>gateway</html>" }))
    const error = await withCloud(options(), (cloud) => Effect.flip(cloud.chat(ask("x"))))
    expect(error).toBeInstanceOf(CloudAnswerError)
    expect(error.message).toContain("not JSON")
    expect(server.received).toHaveLength(1)
  })

  it("JSON that is not a chat completion is a CloudAnswerError naming what is wrong", async () => {
    server.script(() => ({ body: { choices: [] } }))
    const error = await withCloud(options(), (cloud) => Effect.flip(cloud.chat(ask("x"))))
    expect(error).toBeInstanceOf(CloudAnswerError)
    expect(error.message).toContain("not a chat completion")
  })
})

describe("OpenAiCloudModel: circuit breaker", () => {
  it("opens after N failed calls in a row, sends nothing while open, half-opens after the cool-down", async () => {
    let healthy = false
    server.script(() =>
      healthy ? undefined : { status: 500, body: apiError("down", "server_error") },
    )
    const result = await withCloud(
      options({ retries: false, circuitBreaker: { failures: 3, cooldownMs: 400 } }),
      (cloud) =>
        Effect.gen(function* () {
          const failed = []
          for (let i = 0; i < 3; i++) failed.push((yield* Effect.flip(cloud.chat(ask("x"))))._tag)
          const sentBeforeOpen = server.received.length
          const open = yield* Effect.flip(cloud.chat(ask("x")))
          const sentWhileOpen = server.received.length - sentBeforeOpen
          healthy = true
          yield* Effect.sleep("500 millis")
          const probe = yield* cloud.chat(ask("probe"))
          const after = yield* cloud.chat(ask("closed again"))
          return {
            failed,
            sentBeforeOpen,
            open,
            sentWhileOpen,
            probe,
            after,
            totals: yield* cloud.usage,
          }
        }),
    )
    expect(result.failed).toEqual(["CloudRequestError", "CloudRequestError", "CloudRequestError"])
    expect(result.sentBeforeOpen).toBe(3)
    expect(result.open._tag).toBe("CloudCircuitOpenError")
    expect(result.open).toMatchObject({ _tag: "CloudCircuitOpenError" })
    expect((result.open as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0)
    expect(result.sentWhileOpen).toBe(0)
    expect(result.probe.content).toBe("echo: probe")
    expect(result.after.content).toBe("echo: closed again")
    expect(result.totals).toMatchObject({ requests: 6, attempts: 5, failures: 4 })
  })

  it("a failed probe opens it again", async () => {
    server.script(() => ({ status: 502, body: apiError("bad gateway", "server_error") }))
    const tags = await withCloud(
      options({ retries: false, circuitBreaker: { failures: 1, cooldownMs: 200 } }),
      (cloud) =>
        Effect.gen(function* () {
          const tags: Array<string> = []
          const call = Effect.map(Effect.flip(cloud.chat(ask("x"))), (e) => e._tag)
          tags.push(yield* call) // fails: opens
          tags.push(yield* call) // refused
          yield* Effect.sleep("300 millis")
          tags.push(yield* call) // the probe: fails, opens again
          tags.push(yield* call) // refused
          return tags
        }),
    )
    expect(tags).toEqual([
      "CloudRequestError",
      "CloudCircuitOpenError",
      "CloudRequestError",
      "CloudCircuitOpenError",
    ])
    expect(server.received).toHaveLength(2)
  })

  it("a 4xx is the server answering: it does not open the circuit", async () => {
    server.script(() => ({ status: 401, body: apiError("Incorrect API key provided") }))
    const tags = await withCloud(
      options({ retries: false, circuitBreaker: { failures: 1, cooldownMs: 10_000 } }),
      (cloud) =>
        Effect.gen(function* () {
          const tags: Array<string> = []
          for (let i = 0; i < 3; i++) tags.push((yield* Effect.flip(cloud.chat(ask("x"))))._tag)
          return tags
        }),
    )
    expect(tags).toEqual(["CloudRejectedError", "CloudRejectedError", "CloudRejectedError"])
    expect(server.received).toHaveLength(3)
  })

  it("one failed call is one failure for the circuit, whatever its retries", async () => {
    server.script(() => ({ status: 500, body: apiError("down", "server_error") }))
    const tags = await withCloud(options({ circuitBreaker: { failures: 2 } }), (cloud) =>
      Effect.gen(function* () {
        const tags: Array<string> = []
        for (let i = 0; i < 3; i++) tags.push((yield* Effect.flip(cloud.chat(ask("x"))))._tag)
        return tags
      }),
    )
    expect(tags).toEqual(["CloudRequestError", "CloudRequestError", "CloudCircuitOpenError"])
    expect(server.received).toHaveLength(6) // two calls of three attempts each
  })
})

describe("OpenAiCloudModel: transcription", () => {
  const wav = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff)

  it("posts the audio as multipart/form-data and reads OpenAI's transcription JSON", async () => {
    const reply = await withCloud(
      options({ pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } }),
      (cloud) =>
        cloud.transcribe({
          audio: wav,
          filename: "clip.wav",
          model: "gpt-4o-transcribe",
          language: "en",
        }),
    )
    expect(reply).toEqual({
      text: "heard 1000 bytes",
      model: "gpt-4o-transcribe",
      usage: { promptTokens: 40, completionTokens: 6 },
      costUsd: expect.closeTo((40 * 2.5 + 6 * 10) / 1e6, 15),
    })
    const [request] = server.received
    expect(request?.path).toBe("/v1/audio/transcriptions")
    expect(request?.headers.authorization).toBe("Bearer test-key")
    const parts = parseMultipart(String(request?.headers["content-type"]), request!.body)
    const fields = Object.fromEntries(
      parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString()]),
    )
    expect(fields).toEqual({ model: "gpt-4o-transcribe", response_format: "json", language: "en" })
    const file = parts.find((p) => p.name === "file")
    expect(file?.filename).toBe("clip.wav")
    expect(file?.contentType).toBe("audio/wav")
    expect(new Uint8Array(file!.data)).toEqual(wav)
  })

  it("bills a duration-priced model by the minute and counts the audio seconds", async () => {
    const totals = await withCloud(
      options({
        transcriptionModel: "whisper-1",
        pricing: { inputPerMillion: 0, outputPerMillion: 0, audioPerMinute: 0.006 },
      }),
      (cloud) =>
        Effect.gen(function* () {
          const reply = yield* cloud.transcribe({ audio: wav })
          expect(reply).toMatchObject({
            model: "whisper-1",
            durationSeconds: 90,
            costUsd: expect.closeTo(0.009, 12),
          })
          return yield* cloud.usage
        }),
    )
    expect(totals).toMatchObject({
      requests: 1,
      audioSeconds: 90,
      costUsd: expect.closeTo(0.009, 12),
    })
    const parts = parseMultipart(
      String(server.received[0]?.headers["content-type"]),
      server.received[0]!.body,
    )
    expect(parts.find((p) => p.name === "file")?.filename).toBe("audio.wav")
    expect(parts.find((p) => p.name === "model")?.data.toString()).toBe("whisper-1")
  })

  it("retries a transcription like a chat (same policy)", async () => {
    server.script((_, n) =>
      n === 0 ? { status: 503, headers: { "retry-after-ms": "50" } } : undefined,
    )
    const reply = await withCloud(options(), (cloud) => cloud.transcribe({ audio: wav }))
    expect(reply.text).toBe("heard 1000 bytes")
    expect(server.received).toHaveLength(2)
    expect(server.received[1]!.at - server.received[0]!.at).toBeGreaterThanOrEqual(45)
  })
})

describe("OpenAiCloudModel.createClient (Promises)", () => {
  it("chats, rejects with the tagged errors, cancels on abort, and refuses after close", async () => {
    const client = await OpenAiCloudModel.createClient(
      options({ pricing: { inputPerMillion: 1, outputPerMillion: 1 } }),
    )
    expect(client.capabilities).toEqual({
      chat: true,
      transcription: true,
      logprobs: true,
      jsonSchema: true,
    })
    expect((await client.chat(ask("promise"))).content).toBe("echo: promise")

    server.script(() => ({ status: 404, body: apiError("The model `nope` does not exist") }))
    const rejected = await client.chat({ ...ask("x"), model: "nope" }).catch((e: unknown) => e)
    expect(rejected).toBeInstanceOf(CloudRejectedError)
    expect(rejected).toBeInstanceOf(Error)
    expect((rejected as CloudRejectedError)._tag).toBe("CloudRejectedError")

    server.script(() => ({ delayMs: 5_000, body: completion("late") }))
    const controller = new AbortController()
    const slow = client.chat(ask("slow"), { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(slow).rejects.toBeInstanceOf(CancelledError)

    expect(client.usage()).toMatchObject({
      requests: 3,
      failures: 1,
      promptTokens: 12,
      costUsd: 15 / 1e6,
    })
    await client.close()
    await expect(client.chat(ask("closed"))).rejects.toBeInstanceOf(CancelledError)
    expect(client.usage().requests).toBe(3)
  })
})

describe("Escalate with the cloud client", () => {
  /** A device that labels by a keyword, sure only of long messages. */
  const stage = (recorded: Array<Escalate.DegradedItem<string, string>>) =>
    Escalate.escalate({
      name: "triage-cloud",
      local: (text: string) => (text.includes("prize") ? "spam" : "ham"),
      shouldEscalate: (text) => text.length < 20,
      ask: (text) =>
        Effect.map(CloudModel.chat(ask(text)), (reply) =>
          reply.content.replace("echo: ", "cloud:"),
        ),
      onDegraded: (item) => {
        recorded.push(item)
      },
    })

  const run = (opts: OpenAiCloudModel.Options, texts: ReadonlyArray<string>) => {
    const recorded: Array<Escalate.DegradedItem<string, string>> = []
    const pipeline = Pipeline.make("triage", stage(recorded))
    return Effect.runPromise(
      Effect.forEach(texts, (t) => Pipeline.run(pipeline, t)).pipe(
        Effect.provide(OpenAiCloudModel.layer(opts)),
      ),
    ).then((results) => ({ results, recorded }))
  }

  it("pairs each input with the cloud's answer", async () => {
    const { results, recorded } = await run(options(), [
      "win a prize",
      "a long message that the device is sure of",
    ])
    expect(results).toEqual([
      { value: "cloud:win a prize", source: "cloud", degraded: false, input: "win a prize" },
      {
        value: "ham",
        source: "local",
        degraded: false,
        input: "a long message that the device is sure of",
      },
    ])
    expect(recorded).toEqual([])
  })

  it("when the cloud fails, returns the local answer degraded with its input, and records it", async () => {
    server.script(() => ({ status: 503, body: apiError("overloaded", "server_error") }))
    const before = Date.now()
    const { results, recorded } = await run(
      options({ retries: { maxAttempts: 2, baseDelayMs: 10 }, circuitBreaker: { failures: 1 } }),
      ["win a prize", "hello there"],
    )
    // The first call fails after its retries and opens the circuit; the second is refused by it.
    expect(results).toEqual([
      {
        value: "spam",
        source: "local",
        degraded: true,
        reason: expect.stringContaining("overloaded"),
        input: "win a prize",
      },
      {
        value: "ham",
        source: "local",
        degraded: true,
        reason: expect.stringContaining("circuit is open"),
        input: "hello there",
      },
    ])
    expect(recorded.map(({ stage, input, local }) => ({ stage, input, local }))).toEqual([
      { stage: "triage-cloud", input: "win a prize", local: "spam" },
      { stage: "triage-cloud", input: "hello there", local: "ham" },
    ])
    expect(recorded[0]!.at).toBeGreaterThanOrEqual(before)
    expect(server.received).toHaveLength(2)
  })

  it("when the cloud is unreachable, still answers, degraded, and records it", async () => {
    const gone = await startServer()
    const baseUrl = gone.baseUrl
    await gone.close()
    const { results, recorded } = await run(options({ baseUrl, retries: false }), ["win a prize"])
    expect(results).toEqual([
      {
        value: "spam",
        source: "local",
        degraded: true,
        reason: expect.any(String),
        input: "win a prize",
      },
    ])
    expect(recorded).toHaveLength(1)
  })

  it("a recorder that fails never fails the caller", async () => {
    server.script(() => ({ status: 500, body: apiError("down", "server_error") }))
    const pipeline = Pipeline.make(
      "triage",
      Escalate.escalate({
        name: "triage-recorder-fails",
        local: () => "ham",
        shouldEscalate: () => true,
        ask: (text: string) => Effect.map(CloudModel.chat(ask(text)), (r) => r.content),
        onDegraded: () => Effect.fail(new Error("outbox full")),
      }),
    )
    const result = await Effect.runPromise(
      Pipeline.run(pipeline, "x").pipe(
        Effect.provide(OpenAiCloudModel.layer(options({ retries: false }))),
      ),
    )
    expect(result).toMatchObject({ value: "ham", degraded: true, input: "x" })
  })
})

describe("CloudModel.layer", () => {
  it("provides any adapter of the spec (here a stub)", async () => {
    const stub: CloudModel.Shape = {
      specificationVersion: "v1",
      provider: "stub",
      capabilities: { chat: true, transcription: false, logprobs: false, jsonSchema: false },
      chat: () =>
        Effect.succeed({
          content: "stubbed",
          model: "stub",
          usage: { promptTokens: 0, completionTokens: 0 },
          costUsd: 0,
        }),
      transcribe: () =>
        Effect.fail(new CloudRejectedError({ message: "no transcription", status: 404 })),
      usage: Effect.succeed({
        requests: 0,
        attempts: 0,
        failures: 0,
        promptTokens: 0,
        completionTokens: 0,
        audioSeconds: 0,
        costUsd: 0,
      }),
    }
    const reply = await Effect.runPromise(
      CloudModel.chat(ask("x")).pipe(Effect.provide(Layer.mergeAll(CloudModel.layer(stub)))),
    )
    expect(reply.content).toBe("stubbed")
  })
})
