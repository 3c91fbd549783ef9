/**
 * Starting and stopping, options, auth, the body limit, and the request log:
 * through the Promise API and the Effect API.
 */

import { mkdtemp, readFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import {
  CloudServer,
  CloudServerOptionsError,
  CloudServerStartError,
  type RequestLog,
} from "../src/index.js"
import { gated, keywordTriage } from "./support/classifiers.js"

const ask = (url: string, content: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "keyword-triage", messages: [{ role: "user", content }] }),
  })

describe("start and close", () => {
  it("listens on 127.0.0.1 and any free port by default", async () => {
    const server = await CloudServer.start({ models: [keywordTriage] })
    try {
      expect(server.host).toBe("127.0.0.1")
      expect(server.port).toBeGreaterThan(0)
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it("close frees the port: a second server starts on it", async () => {
    const first = await CloudServer.start({ models: [keywordTriage] })
    await fetch(`${first.url}/v1/models`) // a kept-alive connection must not hold the port
    await first.close()
    await expect(fetch(`${first.url}/v1/models`)).rejects.toThrow()
    const second = await CloudServer.start({ models: [keywordTriage], port: first.port })
    try {
      expect(second.port).toBe(first.port)
      expect((await fetch(`${second.url}/v1/models`)).status).toBe(200)
    } finally {
      await second.close()
    }
    await second.close() // twice is fine
  })

  it("close ends a request still in flight and frees the port", async () => {
    const { model, entered, release } = gated()
    const server = await CloudServer.start({ models: [model] })
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "gated", messages: [{ role: "user", content: "hi" }] }),
    })
    await entered()
    // The request is held until release(), below: a close that waited for it would never return.
    await server.close()
    const response = await pending
    expect(response.status).toBe(503)
    expect((await response.json()).error).toEqual({
      message: "The server is shutting down. Please try again later.",
      type: "server_error",
      param: null,
      code: null,
    })
    release()
    const again = await CloudServer.start({ models: [keywordTriage], port: server.port })
    await again.close()
  })

  it("a taken port is a CloudServerStartError", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const error = await CloudServer.start({ models: [keywordTriage], port }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(CloudServerStartError)
      expect((error as CloudServerStartError)._tag).toBe("CloudServerStartError")
      expect((error as Error).message).toContain(`127.0.0.1:${port}`)
      expect((error as Error).message).toContain("EADDRINUSE")
    } finally {
      blocker.close()
    }
  })

  it.each([
    [{ models: [] }, "models must list at least one model"],
    [{ models: [keywordTriage, keywordTriage] }, 'two models named "keyword-triage"'],
    [{ models: [{ ...keywordTriage, labels: ["only"] }] }, "models[0].labels"],
    [{ models: [{ ...keywordTriage, labels: ["a", "a"] }] }, "at least two different"],
    [{ models: [{ ...keywordTriage, id: "" }] }, "models[0].id"],
    [{ models: [keywordTriage], port: 70000 }, "port must be an integer from 0 to 65535"],
    [{ models: [keywordTriage], maxConcurrent: 0 }, "maxConcurrent must be an integer"],
    [{ models: [keywordTriage], maxBodyBytes: 1.5 }, "maxBodyBytes must be an integer"],
    [{ models: [keywordTriage], apiKeys: [""] }, "apiKeys must be non-empty strings"],
  ] as const)("bad options are a CloudServerOptionsError: %#", async (options, says) => {
    const error = await CloudServer.start(options as CloudServer.Options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudServerOptionsError)
    expect((error as Error).message).toContain(says)
  })

  it("a request log that cannot be opened fails the start, not a request", async () => {
    const error = await CloudServer.start({
      models: [keywordTriage],
      requestLog: { file: "/nonexistent-dir/requests.jsonl" },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudServerStartError)
    expect((error as Error).message).toContain("cannot open the request log")
  })
})

describe("the Effect API", () => {
  it("serves for as long as its scope, and says at start that auth is off", async () => {
    const logged: Array<string> = []
    const capture = Logger.make(({ logLevel, message }) => {
      logged.push(`${logLevel}: ${[message].flat().join(" ")}`)
    })
    const url = await Effect.gen(function* () {
      const running = yield* CloudServer.serve({ models: [keywordTriage] })
      expect(running.auth).toBe(false)
      const response = yield* Effect.promise(() => ask(running.url, "free prize, claim now"))
      expect((yield* Effect.promise(() => response.json())).choices[0].message.content).toBe("spam")
      return running.url
    }).pipe(Effect.scoped, Effect.provide(Logger.layer([capture])), Effect.runPromise)
    expect(logged).toEqual([expect.stringMatching(/^Warn: auth is off: no API key is configured/)])
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow()
  })

  it("fails with the typed error for bad options", async () => {
    const error = await CloudServer.serve({ models: [] }).pipe(
      Effect.scoped,
      Effect.flip,
      Effect.runPromise,
    )
    expect(error._tag).toBe("CloudServerOptionsError")
  })

  it("with keys, says nothing about auth", async () => {
    const logged: Array<unknown> = []
    await CloudServer.serve({ models: [keywordTriage], apiKeys: ["k"] }).pipe(
      Effect.tap((running) => Effect.sync(() => expect(running.auth).toBe(true))),
      Effect.scoped,
      Effect.provide(Logger.layer([Logger.make(({ message }) => logged.push(message))])),
      Effect.runPromise,
    )
    expect(logged).toEqual([])
  })
})

describe("bearer auth", () => {
  it("takes any configured key, refuses others and a missing or malformed header", async () => {
    const server = await CloudServer.start({
      models: [keywordTriage],
      apiKeys: ["key-one", "key-two"],
    })
    try {
      const status = async (headers: Record<string, string>) =>
        (await fetch(`${server.url}/v1/models`, { headers })).status
      expect(await status({ authorization: "Bearer key-one" })).toBe(200)
      expect(await status({ authorization: "bearer key-two" })).toBe(200)
      expect(await status({ authorization: "Bearer key-three" })).toBe(401)
      expect(await status({ authorization: "key-one" })).toBe(401)
      expect(await status({ authorization: "Basic a2V5LW9uZTo=" })).toBe(401)
      expect(await status({})).toBe(401)
      const body = await (await fetch(`${server.url}/v1/models`)).json()
      expect(body).toEqual({
        error: {
          message: expect.stringContaining("You didn't provide an API key"),
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      })
      // Unknown routes are behind auth too: nothing is told to a caller without a key.
      expect((await fetch(`${server.url}/v1/nothing`)).status).toBe(401)
    } finally {
      await server.close()
    }
  })
})

describe("the body limit", () => {
  it("refuses a body sent without Content-Length once it passes the limit", async () => {
    const server = await CloudServer.start({ models: [keywordTriage], maxBodyBytes: 1000 })
    try {
      const chunk = new TextEncoder().encode(" ".repeat(600))
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"model":"keyword-triage",'))
          controller.enqueue(chunk)
          controller.enqueue(chunk)
          controller.enqueue(new TextEncoder().encode('"messages":[]}'))
          controller.close()
        },
      })
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit)
      expect(response.status).toBe(413)
      expect((await response.json()).error.code).toBe("request_too_large")
      // Just under the limit is read.
      const fits = await ask(server.url, "x".repeat(900))
      expect(fits.status).toBe(200)
    } finally {
      await server.close()
    }
  })
})

describe("the request log", () => {
  it("writes one JSON line per request, with the messages as sent, and calls back", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "cloud-log-")), "requests.jsonl")
    const seen: Array<RequestLog.Entry> = []
    const server = await CloudServer.start({
      models: [keywordTriage],
      apiKeys: ["k"],
      requestLog: { file, onEntry: (entry) => seen.push(entry) },
    })
    const auth = { authorization: "Bearer k" }
    const sent = [{ type: "text", text: "Call me at [PHONE] about the free prize" }]
    await ask(server.url, "My name is [NAME]", auth)
    await ask(server.url, sent, auth)
    await ask(server.url, "no key")
    await fetch(`${server.url}/v1/models?limit=5`, { headers: auth })
    await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: auth,
      body: "{oops",
    })
    await server.close()

    const lines = (await readFile(file, "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(lines).toEqual(seen)
    expect(lines).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        method: "POST",
        path: "/v1/chat/completions",
        status: 200,
        model: "keyword-triage",
        durationMs: expect.any(Number),
        messages: [{ role: "user", content: "My name is [NAME]" }],
        transcription: null,
        error: null,
      },
      expect.objectContaining({ status: 200, messages: [{ role: "user", content: sent }] }),
      // Refused before the body is read: nothing of it is known, so nothing is logged.
      expect.objectContaining({
        status: 401,
        model: null,
        messages: null,
        error: expect.stringContaining("API key"),
      }),
      expect.objectContaining({ method: "GET", path: "/v1/models", status: 200, messages: null }),
      expect.objectContaining({ status: 400, error: expect.stringContaining("could not parse") }),
    ])
    for (const line of lines) expect(line.durationMs).toBeGreaterThanOrEqual(0)
  })

  it("a callback that throws does not fail requests", async () => {
    const server = await CloudServer.start({
      models: [keywordTriage],
      requestLog: {
        onEntry: () => {
          throw new Error("disk full")
        },
      },
    })
    try {
      expect((await ask(server.url, "hi")).status).toBe(200)
      expect((await ask(server.url, "hi")).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
