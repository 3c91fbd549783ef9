/**
 * The telemetry outbox's file storage (`OutboxFile`): a journal that keeps
 * what was queued across a reopen, cuts a torn tail off so the next append
 * is read back, shares one flush among the events recorded together, and
 * stays the size of the queue. The kill -9 side is in telemetry-crash.test.ts.
 */
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Telemetry } from "@edgeline/core"
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Outbox } from "../src/index.js"
import { OutboxFile } from "../src/node/index.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

const journalPath = async () => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-outbox-file-"))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return join(dir, "outbox.jsonl")
}

/** The storage at `path` in a scope of its own; `close` ends it (the file closes). */
const open = async (path: string) => {
  const scope = await run(Scope.make())
  const storage = await run(Scope.provide(scope)(OutboxFile.make(path)))
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await run(Scope.close(scope, Exit.void))
  }
  cleanups.push(close)
  return { storage, close }
}

const event = (i: number): Telemetry.Event => ({
  id: `event-${i}`,
  kind: i % 3 === 0 ? "counter" : "sample",
  name: i % 3 === 0 ? "escalations" : "labelled",
  at: new Date(1_700_000_000_000 + i).toISOString(),
  ...(i % 3 === 0 ? { value: i } : { payload: { i, text: `message ${i}` } }),
})
const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => event(from + k))
const ids = (list: ReadonlyArray<Telemetry.Event>) => list.map((e) => e.id)

describe("OutboxFile", () => {
  it("keeps adds and removes across a reopen, oldest first", async () => {
    const path = await journalPath()
    const first = await open(path)
    await run(first.storage.add(events(0, 5)))
    await run(first.storage.add(events(5, 8)))
    await run(first.storage.remove(["event-1", "event-6", "event-99"]))
    expect(ids(await run(first.storage.load))).toEqual(ids([0, 2, 3, 4, 5, 7].map(event)))
    await first.close()
    const again = await open(path)
    expect(await run(again.storage.load)).toEqual([0, 2, 3, 4, 5, 7].map(event))
  })

  it("a torn tail (a crash mid-append) is cut off on open, and the next append is read back", async () => {
    const path = await journalPath()
    const first = await open(path)
    await run(first.storage.add(events(0, 3)))
    await first.close()
    const intact = (await stat(path)).size
    // What a crash mid-append leaves: a line with a checksum that fails, then half a line.
    const whole = (await readFile(path, "utf8")).trimEnd()
    await appendFile(path, `${whole.replace('"event-0"', '"event-X"')}\n`)
    await appendFile(path, whole.slice(0, Math.floor(whole.length / 2)))
    const second = await open(path)
    expect(await run(second.storage.load)).toEqual(events(0, 3))
    expect((await stat(path)).size).toBe(intact)
    await run(second.storage.add([event(3)]))
    await second.close()
    // Without the cut, this line would be glued onto the torn one and lost.
    const third = await open(path)
    expect(await run(third.storage.load)).toEqual(events(0, 4))
  })

  it("a journal torn in its first append opens empty; a file of other lines is refused and left alone", async () => {
    const torn = await journalPath()
    await writeFile(torn, '0badc0de {"add":[{"id":"ev')
    const opened = await open(torn)
    expect(await run(opened.storage.load)).toEqual([])
    expect((await stat(torn)).size).toBe(0)

    const other = await journalPath()
    await writeFile(other, "name,value\nescalations,3\n")
    const refused = await run(Effect.flip(Effect.scoped(OutboxFile.make(other))))
    expect(refused).toMatchObject({ _tag: "StoreError" })
    expect(refused.message).toContain("not a telemetry outbox journal")
    expect(await readFile(other, "utf8")).toBe("name,value\nescalations,3\n")
  })

  it("a rewrite cut short (its temporary file left) changes nothing", async () => {
    const path = await journalPath()
    const first = await open(path)
    await run(first.storage.add(events(0, 4)))
    await first.close()
    await writeFile(`${path}.tmp`, "half a rewri")
    const again = await open(path)
    expect(await run(again.storage.load)).toEqual(events(0, 4))
    await expect(stat(`${path}.tmp`)).rejects.toMatchObject({ code: "ENOENT" })
  })

  it("is rewritten once most of it is removed events: it stays within a few times the queue", async () => {
    const path = await journalPath()
    const first = await open(path)
    // A device uploading as it records: 100 in, 100 out, 120 times; 50 left queued each time.
    await run(first.storage.add(events(0, 50)))
    let rewrites = 0
    let before = Number.POSITIVE_INFINITY
    for (let round = 0; round < 120; round++) {
      await run(first.storage.add(events(50 + round * 100, 150 + round * 100)))
      await run(first.storage.remove(ids(events(round * 100, 100 + round * 100))))
      const journal = OutboxFile.recover(await readFile(path))
      expect(journal.events.size).toBe(50)
      expect(journal.logged).toBeLessThan(
        Math.max(OutboxFile.COMPACT_AFTER, 4 * journal.events.size),
      )
      if (journal.logged < before) rewrites++
      before = journal.logged
    }
    // 24 050 events and ids went through the journal.
    expect(rewrites).toBeGreaterThanOrEqual(Math.floor(24_050 / OutboxFile.COMPACT_AFTER))
    await first.close()
    const again = await open(path)
    expect(await run(again.storage.load)).toEqual(events(12_000, 12_050))
  })

  it("replace rewrites the whole queue", async () => {
    const path = await journalPath()
    const first = await open(path)
    await run(first.storage.add(events(0, 10)))
    await run(first.storage.replace([event(20), event(4)]))
    await run(first.storage.add([event(21)]))
    await first.close()
    const again = await open(path)
    expect(await run(again.storage.load)).toEqual([event(20), event(4), event(21)])
  })

  it("events recorded at once through the outbox share a few appends, each event durable when record returns", async () => {
    const path = await journalPath()
    const first = await open(path)
    let appends = 0
    const counted: Outbox.Storage = {
      ...first.storage,
      add: (added) => {
        appends++
        return first.storage.add(added)
      },
    }
    const box = await run(
      Outbox.make({ endpoint: "http://127.0.0.1:9/v1/telemetry", deviceId: "d", storage: counted }),
    )
    await run(
      Effect.forEach(events(0, 300), (e) => box.telemetry.record({ ...e }), {
        concurrency: "unbounded",
        discard: true,
      }),
    )
    // One append for the first event, the rest grouped while it was flushed.
    expect(appends).toBeLessThan(10)
    await first.close()
    const again = await open(path)
    expect(await run(again.storage.load)).toEqual(events(0, 300))
  })
})
