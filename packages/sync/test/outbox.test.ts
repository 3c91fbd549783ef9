/**
 * The telemetry outbox against the dev server's real ingest on loopback:
 * batched uploads with idempotency, outages ridden out, the bound (samples
 * dropped first, counters summed, never lost), a queue in a file that
 * survives restarts, and an ingest that stores each id once.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Telemetry } from "@edgeline/core"
import { Effect, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Outbox } from "../src/index.js"
import { DevServer, OutboxFile } from "../src/node/index.js"
import * as ChaosProxy from "./support/ChaosProxy.js"

const TOKEN = "device-secret"
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-outbox-"))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** The dev server with telemetry on, storing into `file`. */
const server = async (file: string, port?: number) => {
  const started = await DevServer.start({
    directory: join(file, ".."),
    port,
    telemetry: { file, tokens: [TOKEN] },
  })
  cleanups.push(() => started.close())
  return started
}

const stored = async (file: string) =>
  (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { deviceId: string; event: Telemetry.Event })

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

const outbox = (endpoint: string, options: Partial<Outbox.Options> = {}) =>
  run(
    Outbox.make({
      endpoint,
      token: TOKEN,
      deviceId: "device-1",
      storage: Outbox.memoryStorage(),
      ...options,
    }),
  )

/** 20 rounds of a sample and two counters (2 "escalations", 1 "degraded"): more than a small queue holds. */
const recordTwentyRounds = async (box: Outbox.Outbox) => {
  for (let i = 0; i < 20; i++) {
    await run(box.telemetry.record({ kind: "sample", name: "s", payload: { i } }))
    await run(box.telemetry.record({ kind: "counter", name: "escalations", value: 2 }))
    await run(box.telemetry.record({ kind: "counter", name: "degraded", attributes: { why: "x" } }))
  }
}

/** What the server stored of `recordTwentyRounds` through a full queue: every count, and only the newest sample. */
const expectEveryCountAndTheLastSample = (lines: ReadonlyArray<{ event: Telemetry.Event }>) => {
  const events = lines.map((line) => line.event)
  expect(events.filter((e) => e.kind === "sample").map((e) => e.payload)).toEqual([{ i: 19 }])
  const total = (name: string) =>
    events.filter((e) => e.name === name).reduce((sum, e) => sum + (e.value ?? 1), 0)
  expect(total("escalations")).toBe(40)
  expect(total("degraded")).toBe(20)
}

/** An outbox over the queue file `queueFile`, as one run of an app: `close` ends it. */
const fileSession = async (
  queueFile: string,
  endpoint: string,
  options: Partial<Outbox.Options>,
) => {
  const scope = await run(Scope.make())
  const storage = await run(Scope.provide(scope)(OutboxFile.make(queueFile)))
  const box = await outbox(endpoint, { storage, ...options })
  return { box, close: () => run(Scope.close(scope, Effect.void as never)) }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}v1/telemetry`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  })

describe("Outbox", () => {
  it("uploads what is recorded in batches; the server stores each event once", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    const box = await outbox(`${ingest.url}v1/telemetry`, { batchSize: 40 })
    for (let i = 0; i < 100; i++) {
      await run(box.telemetry.record({ kind: "sample", name: "labelled", payload: { i } }))
    }
    await run(box.telemetry.record({ kind: "counter", name: "escalations", value: 7 }))
    expect(await run(box.flush)).toBe(101)
    const events = await stored(file)
    expect(events).toHaveLength(101)
    expect(new Set(events.map((e) => e.event.id)).size).toBe(101)
    expect(events.at(-1)).toMatchObject({
      deviceId: "device-1",
      event: { kind: "counter", value: 7 },
    })
    expect((await run(box.stats)).queued).toBe(0)
  })

  it("keeps everything through an outage and delivers it when the server is back", async () => {
    const dir = await scratch()
    const file = join(dir, "telemetry.jsonl")
    const first = await server(file)
    const port = Number(new URL(first.url).port)
    const box = await outbox(`${first.url}v1/telemetry`, { timeoutMs: 2000 })
    await first.close()
    for (let i = 0; i < 30; i++) await run(box.telemetry.record({ kind: "counter", name: "n" }))
    const failed = await run(Effect.flip(box.flush))
    expect(failed._tag).toBe("UploadError")
    expect((await run(box.stats)).queued).toBe(30)
    await server(file, port)
    expect(await run(box.flush)).toBe(30)
    expect(await stored(file)).toHaveLength(30)
  })

  it("an answer whose body stalls after a 2xx status holds nothing up: the status is the answer", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    const proxy = await ChaosProxy.start({
      target: ingest.url,
      seed: 1,
      faults: [{ on: [0], fault: { kind: "stall", ms: 60_000, at: 5 } }],
    })
    cleanups.push(() => proxy.close())
    const box = await outbox(`${proxy.url}/v1/telemetry`)
    for (let i = 0; i < 3; i++) await run(box.telemetry.record({ kind: "counter", name: "n" }))
    expect(await run(box.flush)).toBe(3)
    // Flushed while the answer's body was still 5 bytes in, stalled.
    expect(proxy.stats().bytesServed).toBe(5)
    expect(await stored(file)).toHaveLength(3)
  })

  it("a wrong token is an UploadError saying so, and nothing is lost", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    const box = await outbox(`${ingest.url}v1/telemetry`, { token: "wrong" })
    await run(box.telemetry.record({ kind: "counter", name: "n" }))
    const error = await run(Effect.flip(box.flush))
    expect(error).toMatchObject({ _tag: "UploadError", status: 401 })
    expect(error.message).toContain("token")
    expect((await run(box.stats)).queued).toBe(1)
  })

  it("when full, drops the oldest samples first and sums counters, never losing a count", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    const box = await outbox(`${ingest.url}v1/telemetry`, { capacity: 10 })
    await recordTwentyRounds(box)
    const stats = await run(box.stats)
    expect(stats.queued).toBeLessThanOrEqual(10)
    // Only the newest sample is left: it came after the last time the queue was full.
    expect(stats.droppedSamples).toBe(19)
    await run(box.flush)
    expectEveryCountAndTheLastSample(await stored(file))
  })

  it("a bounded queue in a file: what was dropped and summed stays so after a restart, and every count arrives", async () => {
    const dir = await scratch()
    const file = join(dir, "telemetry.jsonl")
    const ingest = await server(file)
    const queueFile = join(dir, "outbox.jsonl")
    const session = () => fileSession(queueFile, `${ingest.url}v1/telemetry`, { capacity: 10 })
    const first = await session()
    await recordTwentyRounds(first.box)
    const before = await run(first.box.stats)
    expect(before.droppedSamples).toBe(19)
    expect(before.summedCounters).toBeGreaterThan(0)
    await first.close()
    const second = await session()
    expect((await run(second.box.stats)).queued).toBe(before.queued)
    await run(second.box.flush)
    await second.close()
    expectEveryCountAndTheLastSample(await stored(file))
  })

  it("never sums counts into a counter the server may hold already (an upload whose answer was cut)", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    // The first upload reaches the server, which stores it; its answer is cut before the headers.
    const proxy = await ChaosProxy.start({
      target: ingest.url,
      seed: 1,
      faults: [{ on: [0], fault: { kind: "stall", ms: 20, at: "headers", after: "cut" } }],
    })
    cleanups.push(() => proxy.close())
    const box = await outbox(`${proxy.url}/v1/telemetry`, { capacity: 4 })
    const count = () => run(box.telemetry.record({ kind: "counter", name: "n" }))
    for (let i = 0; i < 3; i++) await count()
    expect((await run(Effect.flip(box.flush)))._tag).toBe("UploadError")
    expect(await stored(file)).toHaveLength(3)
    // The queue is full from the fifth on: the new counts are summed among
    // themselves, not into the three the server has (it would take such a sum
    // for a duplicate and drop it).
    for (let i = 0; i < 5; i++) await count()
    expect((await run(box.stats)).summedCounters).toBe(4)
    await run(box.flush)
    const events = (await stored(file)).map((e) => e.event)
    expect(events.reduce((sum, e) => sum + (e.value ?? 1), 0)).toBe(8)
    expect(ingest.stats().duplicates).toBe(3)
  })

  it("bound keeps the newest samples when only some must go", () => {
    const events = Array.from({ length: 6 }, (_, i) =>
      Telemetry.complete({ kind: "sample", name: "s", payload: i }),
    )
    const { kept, droppedSamples } = Outbox.bound(events, 4)
    expect(droppedSamples).toBe(2)
    expect(kept.map((e) => e.payload)).toEqual([2, 3, 4, 5])
  })

  it("a queue in a file survives a restart, and an upload after it is not counted twice", async () => {
    const dir = await scratch()
    const file = join(dir, "telemetry.jsonl")
    const ingest = await server(file)
    const queueFile = join(dir, "outbox.jsonl")
    const session = () => fileSession(queueFile, `${ingest.url}v1/telemetry`, { batchSize: 5 })
    const first = await session()
    for (let i = 0; i < 12; i++) {
      await run(first.box.telemetry.record({ kind: "sample", name: "s", payload: { i } }))
    }
    expect(await run(first.box.flush)).toBe(12)
    await first.close()
    const second = await session()
    expect((await run(second.box.stats)).queued).toBe(0)
    for (let i = 12; i < 20; i++) {
      await run(second.box.telemetry.record({ kind: "sample", name: "s", payload: { i } }))
    }
    await second.close()
    const third = await session()
    expect((await run(third.box.stats)).queued).toBe(8)
    await run(third.box.flush)
    await third.close()
    const events = await stored(file)
    expect(events.map((e) => (e.event.payload as { i: number }).i)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    )
  })

  it("the ingest refuses bad requests and answers a retried batch as the first time", async () => {
    const file = join(await scratch(), "telemetry.jsonl")
    const ingest = await server(file)
    const event = Telemetry.complete({ kind: "counter", name: "n" })
    const batch = { deviceId: "d", events: [event, event] }
    const first = await post(ingest.url, batch, { "idempotency-key": "k1" })
    expect(await first.json()).toEqual({ accepted: 1, duplicates: 1 })
    expect(await (await post(ingest.url, batch, { "idempotency-key": "k1" })).json()).toEqual({
      accepted: 1,
      duplicates: 1,
    })
    expect(await (await post(ingest.url, batch)).json()).toEqual({ accepted: 0, duplicates: 2 })
    expect((await post(ingest.url, "{not json")).status).toBe(400)
    expect((await post(ingest.url, { deviceId: "d", events: [{ id: "x" }] })).status).toBe(400)
    expect((await post(ingest.url, batch, { authorization: "Bearer nope" })).status).toBe(401)
    expect((await fetch(`${ingest.url}v1/telemetry`)).status).toBe(405)
    const big = { deviceId: "d", events: [{ ...event, payload: "x".repeat(9_000_000) }] }
    expect((await post(ingest.url, big)).status).toBe(413)
    expect(await stored(file)).toHaveLength(1)
  })

  it("the ingest remembers the ids it stored across a restart", async () => {
    const dir = await scratch()
    const file = join(dir, "telemetry.jsonl")
    const event = Telemetry.complete({ kind: "counter", name: "n" })
    const first = await server(file)
    await post(first.url, { deviceId: "d", events: [event] })
    await first.close()
    const second = await server(file)
    expect(await (await post(second.url, { deviceId: "d", events: [event] })).json()).toEqual({
      accepted: 0,
      duplicates: 1,
    })
  })

  it("the ingest cuts a line a crash tore, so the next batch is not glued onto it and lost", async () => {
    const dir = await scratch()
    const file = join(dir, "telemetry.jsonl")
    const kept = Telemetry.complete({ kind: "counter", name: "kept" })
    const torn = `${JSON.stringify({ deviceId: "d", received: "x", event: kept })}\n{"deviceId":"d","rece`
    await writeFile(file, torn)
    const ingest = await server(file)
    const next = Telemetry.complete({ kind: "counter", name: "next" })
    expect(await (await post(ingest.url, { deviceId: "d", events: [next, kept] })).json()).toEqual({
      accepted: 1,
      duplicates: 1,
    })
    expect((await stored(file)).map((line) => line.event.name)).toEqual(["kept", "next"])
  })
})
