/**
 * The labelling job against the loopback chat server: caching, retries,
 * malformed answers, Retry-After, concurrency, rate, streaming, a cache cut
 * short, cancellation.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LabelJob, OpenAiTeacher, Teacher } from "../src/index.js"
import { type ChatServer, startChatServer, truth } from "./support/chatServer.js"

const labels = ["ham", "spam"]
const pricing = { inputPerMillion: 1, outputPerMillion: 2 }
const messages = (n: number, tag = "m") =>
  Array.from({ length: n }, (_, i) => ({
    id: `${tag}${i}`,
    text:
      i % 3 === 0
        ? `${tag} ${i}: claim your FREE prize, click here`
        : `${tag} ${i}: minutes of the meeting`,
  }))

let server: ChatServer
let dir: string
beforeAll(async () => {
  server = await startChatServer()
  dir = await mkdtemp(join(tmpdir(), "edgeline-label-"))
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

let caches = 0
const freshCache = () => join(dir, `run-${caches++}`, "labels.jsonl")
const teacherOn = (chat: ChatServer, options: Partial<OpenAiTeacher.Options> = {}) =>
  OpenAiTeacher.make({ baseUrl: chat.url, model: "big", labels, pricing, ...options })
const requestsFor = (chat: ChatServer, items: ReadonlyArray<{ text: string }>) =>
  items.reduce((n, item) => n + chat.countFor(item.text), 0)
const lines = async (path: string) =>
  (await readFile(path, "utf8")).split("\n").filter((l) => l !== "")
const collect = async <A>(iterable: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const a of iterable) out.push(a)
  return out
}

describe("labelling and caching", () => {
  it("labels every item once, counts tokens and cost, and a rerun asks nothing", async () => {
    const items = messages(12)
    const cache = freshCache()
    const teacher = teacherOn(server)
    const progress: Array<LabelJob.Progress> = []
    const first = await LabelJob.runPromise({
      teacher,
      items,
      cache,
      concurrency: 3,
      onProgress: (p) => progress.push(p),
    })
    expect(first).toMatchObject({
      total: 12,
      labelled: 12,
      cached: 0,
      failed: [],
      malformed: 0,
      retries: 0,
    })
    expect(requestsFor(server, items)).toBe(12)
    // Tokens as the server counted them, priced per million.
    const usage = server.requests
      .filter((r) => items.some((i) => i.text === r.text))
      .map((r) => ({
        prompt: Math.ceil((r.body.messages[0].content.length + r.text.length) / 4),
      }))
    expect(first.promptTokens).toBe(usage.reduce((n, u) => n + u.prompt, 0))
    expect(first.completionTokens).toBeGreaterThan(0)
    expect(first.costUsd).toBeCloseTo(
      (first.promptTokens * 1 + first.completionTokens * 2) / 1e6,
      12,
    )
    // Progress counts up to the summary.
    expect(progress.map((p) => p.done)).toEqual(
      [...progress.map((p) => p.done)].sort((a, b) => a - b),
    )
    expect(progress.at(-1)).toMatchObject({
      done: 12,
      total: 12,
      labelled: 12,
      costUsd: first.costUsd,
    })

    const entries = await collect(LabelJob.read(cache))
    expect(entries).toHaveLength(12)
    for (const item of items) {
      const entry = entries.find((e) => e.id === item.id)
      expect(entry?.key).toBe(LabelJob.keyOf(teacher, item.text))
      expect(entry).toMatchObject({ teacher: teacher.id, labels, source: "logprobs" })
      expect(entry?.text).toBeUndefined()
      const expected = truth(labels, item.text)
      entry?.probabilities.forEach((p, i) => {
        expect(p).toBeCloseTo(expected[i] as number, 4)
      })
      expect(entry?.label).toBe(expected[1]! > 0.5 ? "spam" : "ham")
    }

    const again = await LabelJob.runPromise({ teacher, items, cache, concurrency: 3 })
    expect(again).toMatchObject({ total: 12, labelled: 0, cached: 12, promptTokens: 0, costUsd: 0 })
    expect(requestsFor(server, items)).toBe(12)
    expect(await lines(cache)).toHaveLength(12)
  })

  it("keys follow the teacher: another model's job asks again; load() picks one teacher's entries by key", async () => {
    const items = messages(4, "k")
    const cache = freshCache()
    const a = teacherOn(server)
    const b = teacherOn(server, { model: "other" })
    await LabelJob.runPromise({ teacher: a, items, cache })
    const second = await LabelJob.runPromise({ teacher: b, items, cache, storeText: true })
    expect(second.labelled).toBe(4)
    const byKey = await LabelJob.load(cache, b)
    expect(byKey.size).toBe(4)
    const entry = byKey.get(LabelJob.keyOf(b, items[0]!.text))
    expect(entry).toMatchObject({ id: "k0", teacher: b.id, text: items[0]!.text })
    expect(LabelJob.keyOf(a, items[0]!.text)).not.toBe(LabelJob.keyOf(b, items[0]!.text))
    expect(LabelJob.keyOf(a, items[0]!.text)).toMatch(/^[0-9a-f]{64}$/)
  })

  it("a text repeated in the run is asked once and counted as cached", async () => {
    const text = "same text twice, free cash"
    const items = [
      { id: "a", text },
      { id: "b", text },
    ]
    const summary = await LabelJob.runPromise({
      teacher: teacherOn(server),
      items,
      cache: freshCache(),
      concurrency: 2,
    })
    expect(summary).toMatchObject({ labelled: 1, cached: 1, failed: [] })
    expect(server.countFor(text)).toBe(1)
  })
})

describe("failures", () => {
  it("malformed answers are counted and retried; an item failing every attempt is reported, not cached, and asked again next run", async () => {
    const items = messages(5, "bad")
    const flaky = items[1]!
    const hopeless = items[2]!
    server.script(flaky.text, [{ kind: "malformed-json" }, { kind: "unknown-label" }])
    server.script(hopeless.text, [
      { kind: "malformed-json" },
      { kind: "malformed-json" },
      { kind: "unknown-label" },
    ])
    const cache = freshCache()
    const teacher = teacherOn(server)
    const summary = await LabelJob.runPromise({
      teacher,
      items,
      cache,
      maxAttempts: 3,
      retryDelayMs: 5,
    })
    expect(summary).toMatchObject({ total: 5, labelled: 4, malformed: 5, retries: 4 })
    expect(summary.failed).toHaveLength(1)
    expect(summary.failed[0]?.id).toBe(hopeless.id)
    expect(summary.failed[0]?.error._tag).toBe("TeacherAnswerError")
    expect(server.countFor(flaky.text)).toBe(3)
    expect(server.countFor(hopeless.text)).toBe(3)
    // Malformed answers cost tokens too.
    expect(summary.promptTokens).toBeGreaterThan(0)
    const cached = await LabelJob.load(cache, teacher)
    expect(cached.has(LabelJob.keyOf(teacher, hopeless.text))).toBe(false)

    const rerun = await LabelJob.runPromise({
      teacher,
      items,
      cache,
      maxAttempts: 3,
      retryDelayMs: 5,
    })
    expect(rerun).toMatchObject({ labelled: 1, cached: 4, failed: [] })
    expect(server.countFor(hopeless.text)).toBe(4)
  })

  it("a rejection is not retried; server errors are, with backoff", async () => {
    const items = messages(3, "rej")
    server.script(items[0]!.text, [{ kind: "status", status: 400, message: "bad request" }])
    server.script(items[1]!.text, [
      { kind: "status", status: 500 },
      { kind: "status", status: 503 },
    ])
    const summary = await LabelJob.runPromise({
      teacher: teacherOn(server),
      items,
      cache: freshCache(),
      retryDelayMs: 100,
    })
    expect(summary.failed.map((f) => [f.id, f.error._tag])).toEqual([
      ["rej0", "TeacherRejectedError"],
    ])
    expect(server.countFor(items[0]!.text)).toBe(1)
    expect(summary).toMatchObject({ labelled: 2, retries: 2, malformed: 0 })
    const times = server.requests.filter((r) => r.text === items[1]!.text).map((r) => r.at)
    // 100 ms, then 200 ms, each ±20 %.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(75)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(155)
  })

  it("honours Retry-After, holding back the other requests too", async () => {
    const items = messages(5, "ra")
    const [limitedItem, busyItem] = items
    server.script(limitedItem!.text, [{ kind: "status", status: 429, retryAfter: "1" }])
    // Keeps the second slot busy past the 429, so the next items start after it.
    server.script(busyItem!.text, [{ kind: "slow", delayMs: 200 }])
    const summary = await LabelJob.runPromise({
      teacher: teacherOn(server),
      items,
      cache: freshCache(),
      concurrency: 2,
      retryDelayMs: 5,
    })
    expect(summary).toMatchObject({ labelled: 5, retries: 1 })
    const [limited, retried] = server.requests
      .filter((r) => r.text === limitedItem!.text)
      .map((r) => r.at)
    expect(retried! - limited!).toBeGreaterThanOrEqual(950)
    // Without the shared pause these would start at about 200 ms.
    for (const item of items.slice(2)) {
      const at = server.requests.find((r) => r.text === item.text)!.at
      expect(at - limited!).toBeGreaterThanOrEqual(950)
    }
  })

  it("bad items are reported and skipped; the job goes on", async () => {
    const items = [
      { id: "ok", text: "hello" },
      { id: 7, text: "number id" },
      { id: "no-text" },
      null,
    ] as any
    const summary = await LabelJob.runPromise({
      teacher: teacherOn(server),
      items,
      cache: freshCache(),
    })
    expect(summary.labelled).toBe(1)
    expect(summary.failed.map((f) => [f.id, f.error._tag])).toEqual([
      ["#1", "InvalidItemError"],
      ["no-text", "InvalidItemError"],
      ["#3", "InvalidItemError"],
    ])
    expect(summary.failed[1]?.error.message).toContain("text is undefined")
  })

  it("a teacher that throws fails its items, not the job", async () => {
    const buggy: Teacher.Teacher = {
      specificationVersion: "v1",
      id: "buggy",
      labels,
      label: (text) => {
        if (text === "trip") throw new Error("bug in the teacher")
        return Effect.succeed({
          probabilities: [0.5, 0.5],
          source: "model",
          usage: Teacher.noUsage,
        })
      },
    }
    const items = [
      { id: "a", text: "trip" },
      { id: "b", text: "fine" },
    ]
    const summary = await LabelJob.runPromise({
      teacher: buggy,
      items,
      cache: freshCache(),
      maxAttempts: 2,
      retryDelayMs: 1,
    })
    expect(summary.labelled).toBe(1)
    expect(summary.failed[0]?.error).toMatchObject({
      _tag: "TeacherRequestError",
      message: "teacher buggy threw: bug in the teacher",
    })
  })

  it("bad options and a failing item source are LabelJobErrors", async () => {
    const teacher = teacherOn(server)
    const job = (options: Partial<LabelJob.Options>) =>
      LabelJob.runPromise({ teacher, items: [], cache: freshCache(), ...options }).catch((e) => e)
    expect(await job({ concurrency: 0 })).toMatchObject({
      _tag: "LabelJobError",
      message: expect.stringContaining("concurrency"),
    })
    expect(await job({ requestsPerSecond: -1 })).toMatchObject({ _tag: "LabelJobError" })
    expect(await job({ maxAttempts: 1.5 })).toMatchObject({ _tag: "LabelJobError" })
    expect(await job({ items: 5 as any })).toMatchObject({ _tag: "LabelJobError" })
    async function* broken() {
      yield { id: "x", text: "fine" }
      throw new Error("disk gone")
    }
    expect(await job({ items: broken() })).toMatchObject({
      _tag: "LabelJobError",
      message: "reading the items failed: disk gone",
    })
  })
})

describe("limits", () => {
  it("never has more than `concurrency` requests in flight", async () => {
    const slow = await startChatServer({ delayMs: 60 })
    try {
      const summary = await LabelJob.runPromise({
        teacher: teacherOn(slow),
        items: messages(12, "c"),
        cache: freshCache(),
        concurrency: 3,
      })
      expect(summary.labelled).toBe(12)
      expect(slow.maxInFlight()).toBe(3)
    } finally {
      await slow.close()
    }
  })

  it("spaces requests to `requestsPerSecond`", async () => {
    const items = messages(8, "rps")
    const before = server.requests.length
    await LabelJob.runPromise({
      teacher: teacherOn(server),
      items,
      cache: freshCache(),
      concurrency: 4,
      requestsPerSecond: 20,
    })
    const times = server.requests.slice(before).map((r) => r.at)
    expect(times).toHaveLength(8)
    // The server stamps arrivals, so one gap can shrink when an earlier request was
    // delayed on a busy machine; the span of all eight cannot beat the limiter.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(7 * 45)
  })
})

describe("streaming and the cache file", () => {
  it("pulls items as requests free up, not ahead: memory holds the items in flight", async () => {
    let pulled = 0
    let finished = 0
    let mostAhead = 0
    const teacher = Teacher.make({
      id: "instant",
      labels,
      label: async (text) => {
        await new Promise((resolve) => setTimeout(resolve, 0))
        finished++
        return {
          probabilities: text.length % 2 ? [0.3, 0.7] : [0.6, 0.4],
          source: "model",
          usage: Teacher.noUsage,
        }
      },
    })
    async function* items() {
      for (let i = 0; i < 1000; i++) {
        pulled++
        mostAhead = Math.max(mostAhead, pulled - finished)
        yield { id: `s${i}`, text: `streamed message ${i}` }
      }
    }
    const summary = await LabelJob.runPromise({
      teacher,
      items: items(),
      cache: freshCache(),
      concurrency: 8,
      total: 1000,
    })
    expect(summary.labelled).toBe(1000)
    expect(mostAhead).toBeLessThanOrEqual(8 + 2)
  })

  it("drops a last line cut short by a kill, keeps every line before it byte for byte, and appends cleanly", async () => {
    const items = messages(6, "cut")
    const cache = freshCache()
    const teacher = teacherOn(server)
    await LabelJob.runPromise({ teacher, items: items.slice(0, 4), cache })
    const intact = await readFile(cache, "utf8")
    const cutShort = (await lines(cache))[0]!.slice(0, 40)
    await appendFile(cache, cutShort)

    const summary = await LabelJob.runPromise({ teacher, items, cache })
    expect(summary).toMatchObject({ cached: 4, labelled: 2, droppedPartialLine: true })
    const text = await readFile(cache, "utf8")
    expect(text.startsWith(intact)).toBe(true)
    expect(text.endsWith("\n")).toBe(true)
    expect(await collect(LabelJob.read(cache))).toHaveLength(6)
    // Reading tolerates a cut-off last line too.
    await appendFile(cache, cutShort)
    expect(await collect(LabelJob.read(cache))).toHaveLength(6)
  })

  it("keeps a whole last entry that only lacks its newline", async () => {
    const cache = freshCache()
    const teacher = teacherOn(server)
    const items = messages(3, "nl")
    await LabelJob.runPromise({ teacher, items: items.slice(0, 2), cache })
    await writeFile(cache, (await readFile(cache, "utf8")).trimEnd())
    expect(await collect(LabelJob.read(cache))).toHaveLength(2)
    const summary = await LabelJob.runPromise({ teacher, items, cache })
    expect(summary).toMatchObject({ cached: 2, labelled: 1, droppedPartialLine: false })
    expect(await lines(cache)).toHaveLength(3)
    expect(await collect(LabelJob.read(cache))).toHaveLength(3)
  })

  it("a line in the middle that is not an entry stops the job before any request, naming the line", async () => {
    const cache = freshCache()
    const teacher = teacherOn(server)
    await LabelJob.runPromise({ teacher, items: messages(2, "mid"), cache })
    const [first, second] = await lines(cache)
    await writeFile(cache, `${first}\n{"key": 3}\n${second}\n`)
    const before = server.requests.length
    const error = await LabelJob.runPromise({ teacher, items: messages(3, "mid2"), cache }).catch(
      (e) => e,
    )
    expect(error._tag).toBe("LabelCacheError")
    expect(error.message).toContain(`${cache}:2 is not a labelled item`)
    expect(server.requests.length).toBe(before)
    const reading = await collect(LabelJob.read(cache)).catch((e) => e)
    expect(reading._tag).toBe("LabelCacheError")
    expect((await collect(LabelJob.read(join(dir, "missing.jsonl"))).catch((e) => e))._tag).toBe(
      "LabelCacheError",
    )
  })

  it("an abort rejects with CancelledError; answers received so far stay in the cache", async () => {
    const slow = await startChatServer({ delayMs: 100 })
    try {
      const cache = freshCache()
      const controller = new AbortController()
      const items = messages(20, "ab")
      const job = LabelJob.runPromise({
        teacher: teacherOn(slow),
        items,
        cache,
        concurrency: 2,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.labelled === 4) controller.abort()
        },
      })
      const error = await job.catch((e) => e)
      expect(error._tag).toBe("CancelledError")
      const kept = await collect(LabelJob.read(cache))
      expect(kept.length).toBeGreaterThanOrEqual(4)
      expect(kept.length).toBeLessThan(20)
      const rerun = await LabelJob.runPromise({
        teacher: teacherOn(slow),
        items,
        cache,
        concurrency: 4,
      })
      expect(rerun.cached).toBe(kept.length)
      expect(rerun.labelled + rerun.cached).toBe(20)
    } finally {
      await slow.close()
    }
  })

  it("runs as an Effect too", async () => {
    const summary = await Effect.runPromise(
      LabelJob.run({ teacher: teacherOn(server), items: messages(3, "fx"), cache: freshCache() }),
    )
    expect(summary.labelled).toBe(3)
  })
})
