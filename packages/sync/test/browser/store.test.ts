/**
 * The Store contract on IndexedDB, in Chromium: what Store.ts promises,
 * checked against the browser's own database (each test on a database of
 * its own, deleted afterwards), and the outbox's storage beside it.
 */
import { Effect, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { commands } from "vitest/browser"
import {
  BrowserOutboxStorage,
  BrowserStore,
  Content,
  type Manifest,
  type Store,
} from "../../src/index.js"
import { scratchDatabase } from "./support/databases.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

/** A database name no other test uses, deleted after the test. */
const database = () => scratchDatabase("store-test", cleanups)

/** `make` run in a scope of its own; `close` ends it (the store's connection closes). */
const open = async <A, E>(make: Effect.Effect<A, E, Scope.Scope>) => {
  const scope = await run(Scope.make())
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await run(Scope.close(scope, Effect.void as never))
  }
  cleanups.push(close)
  return { value: await run(Scope.provide(scope)(make)), close }
}

const browserStore = async (name: string) => {
  const { value, close } = await open(BrowserStore.make({ database: name }))
  return { store: value, close }
}

/** Chromium's Storage Buckets, which TypeScript's DOM types do not have yet. */
interface StorageBuckets {
  open(name: string): Promise<{ readonly indexedDB: IDBFactory }>
  delete(name: string): Promise<void>
}

/** A Storage Bucket no other test uses, deleted after the test. */
const freshBucket = async () => {
  const buckets = (navigator as unknown as { storageBuckets: StorageBuckets }).storageBuckets
  const name = `store-test-${Math.floor(Math.random() * 1e9)}`
  const bucket = await buckets.open(name)
  cleanups.push(() => buckets.delete(name))
  return bucket
}

const random = (size: number) => {
  const bytes = new Uint8Array(size)
  for (let at = 0; at < size; at += 65_536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)))
  }
  return bytes
}

async function* pieces(bytes: Uint8Array) {
  for (let at = 0; at < bytes.length; at += 100_000) yield bytes.subarray(at, at + 100_000)
}

/** Content-defined chunks of `bytes`, each written into `store`, as a download leaves them. */
const chunked = (store: Store.Shape, bytes: Uint8Array) =>
  run(Content.describe(pieces(bytes), (chunk, b) => store.writeChunk(chunk.sha256, b)))

const shas = (chunks: ReadonlyArray<Manifest.Chunk>) => chunks.map((c) => c.sha256)

const installed = (sha256: string, size: number, version: string): Store.Installed => ({
  version,
  sha256,
  size,
  activated: new Date().toISOString(),
})

/**
 * Where two byte arrays first differ (-1: equal): `toEqual` on megabytes
 * walks them through its generic comparison for seconds.
 */
const firstDifference = (a: Uint8Array | undefined, b: Uint8Array) => {
  if (a === undefined) return 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : Math.min(a.length, b.length)
}

const sha = (text: string) => run(Content.sha256(new TextEncoder().encode(text)))

describe("BrowserStore (IndexedDB)", () => {
  it("chunks: written whole, read back equal, absent ones absent; a malformed hash is refused", async () => {
    const { store } = await browserStore(database())
    const bytes = random(70_000)
    const digest = await run(Content.sha256(bytes))
    expect(await run(store.hasChunk(digest))).toBe(false)
    expect(await run(store.readChunk(digest))).toBeUndefined()
    await run(store.writeChunk(digest, bytes))
    const kept = bytes.slice()
    bytes.fill(0) // the caller reuses its buffer: the store kept its own copy
    expect(await run(store.hasChunk(digest))).toBe(true)
    expect(await run(store.readChunk(digest))).toEqual(kept)
    const bad = await refusal(store.writeChunk("ABC", kept))
    expect(bad._tag).toBe("StoreError")
    expect(bad.message).toMatch(/not a lowercase hex sha256/)
  })

  it("partial chunks: appends join in order, concurrent appends never interleave, drop removes them", async () => {
    const { store } = await browserStore(database())
    const digest = await sha("partial")
    expect(await run(store.readPartial(digest))).toBeUndefined()
    await run(store.appendPartial(digest, Uint8Array.of(1, 2, 3)))
    await run(store.appendPartial(digest, Uint8Array.of(4)))
    await run(store.appendPartial(digest, Uint8Array.of(5, 6)))
    expect(await run(store.readPartial(digest))).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6))
    await run(store.dropPartial(digest))
    expect(await run(store.readPartial(digest))).toBeUndefined()

    // 20 appends at once, each 1000 bytes of its own value: each must land whole, after the one before.
    const other = await sha("concurrent")
    await run(
      Effect.all(
        Array.from({ length: 20 }, (_, i) =>
          store.appendPartial(other, new Uint8Array(1000).fill(i + 1)),
        ),
        { concurrency: "unbounded" },
      ),
    )
    const joined = (await run(store.readPartial(other)))!
    expect(joined.length).toBe(20_000)
    const values = new Set<number>()
    for (let at = 0; at < joined.length; at += 1000) {
      const block = joined.subarray(at, at + 1000)
      expect(block.every((b) => b === block[0])).toBe(true)
      values.add(block[0]!)
    }
    expect(values.size).toBe(20)
  })

  it("writeModel assembles a model from its chunks and verifies it; readModel and modelBlob give it back", async () => {
    const { store } = await browserStore(database())
    const bytes = random(1_500_000)
    const model = await chunked(store, bytes)
    expect(model.chunks.length).toBeGreaterThan(5)
    expect(await run(store.hasModel(model.sha256))).toBe(false)
    await run(store.writeModel(model.sha256, shas(model.chunks)))
    expect(await run(store.hasModel(model.sha256))).toBe(true)
    expect(firstDifference(await run(store.readModel(model.sha256)), bytes)).toBe(-1)
    const blob = (await run(store.modelBlob(model.sha256)))!
    expect(blob.size).toBe(bytes.length)
    expect(await run(Content.sha256(new Uint8Array(await blob.arrayBuffer())))).toBe(model.sha256)
    expect(await run(store.readModel(await sha("absent")))).toBeUndefined()
  })

  it("writeModel refuses chunks that hash to another model, and a missing chunk, leaving nothing", async () => {
    const { store } = await browserStore(database())
    const model = await chunked(store, random(400_000))
    const wrong = await sha("another model")
    const swapped = [...shas(model.chunks)].reverse()
    const refused = await refusal(store.writeModel(model.sha256, swapped))
    expect(refused._tag).toBe("StoreError")
    expect(refused.message).toContain(model.sha256)
    expect(refused.message).toMatch(/hashing to [0-9a-f]{64}, not/)
    expect(await run(store.hasModel(model.sha256))).toBe(false)
    const claimed = await refusal(store.writeModel(wrong, shas(model.chunks)))
    expect(claimed.message).toContain(`hashing to ${model.sha256}, not ${wrong}`)
    expect(await run(store.hasModel(wrong))).toBe(false)
    const absent = await sha("a chunk never written")
    const missing = await refusal(store.writeModel(model.sha256, [...shas(model.chunks), absent]))
    expect(missing.message).toContain(`chunk ${absent} is not in the store`)
    expect(await run(store.hasModel(model.sha256))).toBe(false)
  })

  it("commit is refused for a state naming an absent model, keeping the last state; accepted otherwise", async () => {
    const { store } = await browserStore(database())
    expect(await run(store.state)).toEqual({ models: {}, channels: {} })
    const model = await chunked(store, random(200_000))
    await run(store.writeModel(model.sha256, shas(model.chunks)))
    const first: Store.State = {
      models: { vad: { active: installed(model.sha256, model.size, "1.0.0") } },
      channels: { stable: { accepted: 3, etag: '"abc"' } },
    }
    await run(store.commit(first))
    expect(await run(store.state)).toEqual(first)
    const ghost = await sha("never downloaded")
    const refused = await refusal(
      store.commit({
        ...first,
        models: {
          vad: {
            active: installed(ghost, 10, "2.0.0"),
            previous: first.models.vad!.active,
          },
        },
      }),
    )
    expect(refused._tag).toBe("StoreError")
    expect(refused.message).toContain("vad@2.0.0")
    expect(refused.message).toMatch(/not in the store/)
    expect(await run(store.state)).toEqual(first)
    // A previous version must be present too.
    const noPrevious = await refusal(
      store.commit({
        ...first,
        models: {
          vad: { active: first.models.vad!.active, previous: installed(ghost, 10, "0.9.0") },
        },
      }),
    )
    expect(noPrevious.message).toContain("vad@0.9.0")
    expect(await run(store.state)).toEqual(first)
  })

  it("collect deletes models other than each name's active and previous, and chunks and partials not kept", async () => {
    const { store } = await browserStore(database())
    const [a, b, c] = [
      await chunked(store, random(150_000)),
      await chunked(store, random(150_000)),
      await chunked(store, random(150_000)),
    ] as const
    for (const model of [a, b, c]) await run(store.writeModel(model.sha256, shas(model.chunks)))
    await run(
      store.commit({
        models: {
          vad: {
            active: installed(c.sha256, c.size, "3.0.0"),
            previous: installed(b.sha256, b.size, "2.0.0"),
          },
        },
        channels: {},
      }),
    )
    const cut = await sha("a cut download")
    const stale = await sha("a partial nobody needs")
    await run(store.appendPartial(cut, Uint8Array.of(1, 2)))
    await run(store.appendPartial(stale, Uint8Array.of(3)))
    const keep = new Set([...shas(c.chunks), cut])
    await run(store.collect(keep))
    expect(await run(store.hasModel(a.sha256))).toBe(false)
    expect(await run(store.hasModel(b.sha256))).toBe(true)
    expect(await run(store.hasModel(c.sha256))).toBe(true)
    for (const chunk of c.chunks) expect(await run(store.hasChunk(chunk.sha256))).toBe(true)
    for (const chunk of [...a.chunks, ...b.chunks]) {
      expect(await run(store.hasChunk(chunk.sha256))).toBe(false)
    }
    expect(await run(store.readPartial(cut))).toEqual(Uint8Array.of(1, 2))
    expect(await run(store.readPartial(stale))).toBeUndefined()
    // The previous version's bytes do not depend on its chunks.
    expect((await run(store.readModel(b.sha256)))?.length).toBe(b.size)
  })

  it("everything survives closing the database and opening a new store on it", async () => {
    const name = database()
    const first = await browserStore(name)
    const bytes = random(300_000)
    const model = await chunked(first.store, bytes)
    await run(first.store.writeModel(model.sha256, shas(model.chunks)))
    const state: Store.State = {
      models: { vad: { active: installed(model.sha256, model.size, "1.0.0") } },
      channels: { stable: { accepted: 1 } },
    }
    await run(first.store.commit(state))
    const cut = await sha("cut")
    await run(first.store.appendPartial(cut, Uint8Array.of(9, 9)))
    await first.close()

    const { store } = await browserStore(name)
    expect(await run(store.state)).toEqual(state)
    expect(firstDifference(await run(store.readModel(model.sha256)), bytes)).toBe(-1)
    expect(await run(store.readChunk(model.chunks[0]!.sha256))).toEqual(
      bytes.subarray(0, model.chunks[0]!.size),
    )
    expect(await run(store.readPartial(cut))).toEqual(Uint8Array.of(9, 9))
  })

  it("out of storage: a write past the site's quota is a StoreError that says so, and leaves nothing", async () => {
    // The quota is capped before the store opens, in a Storage Bucket of its own:
    // Chromium caches how much a bucket may still write for tens of seconds
    // from the bucket's first write, so a cap set after that would not bite yet.
    const bytes = random(1_000_000)
    await commands.overrideQuota(location.origin, 1_600_000)
    try {
      const bucket = await freshBucket()
      const { value: store } = await open(
        BrowserStore.make({ database: "models", indexedDB: bucket.indexedDB }),
      )
      const model = await chunked(store, bytes)
      const full = await refusal(store.writeModel(model.sha256, shas(model.chunks)))
      expect(full._tag).toBe("StoreError")
      expect(full.message).toMatch(/out of storage for this site while writing model/)
      expect(full.message).toMatch(/nothing was written/)
      expect(await run(store.hasModel(model.sha256))).toBe(false)
      const chunk = await refusal(store.writeChunk(await sha("big"), random(700_000)))
      expect(chunk.message).toMatch(/out of storage for this site while writing chunk/)
      // Room again (the user freed space): the same write goes through.
      await commands.overrideQuota(location.origin, undefined)
      await run(store.writeModel(model.sha256, shas(model.chunks)))
      expect(firstDifference(await run(store.readModel(model.sha256)), bytes)).toBe(-1)
    } finally {
      await commands.overrideQuota(location.origin, undefined)
    }
  })
})

describe("BrowserOutboxStorage (IndexedDB)", () => {
  const event = (i: number) => ({
    id: `event-${i}`,
    kind: "sample" as const,
    name: "labelled",
    at: new Date(1_700_000_000_000 + i).toISOString(),
    payload: { i },
  })

  it("keeps events oldest first, removes by id, replaces the whole queue, and survives reopening", async () => {
    const name = database()
    const first = await open(BrowserOutboxStorage.make({ database: name }))
    const storage = first.value
    expect(await run(storage.load)).toEqual([])
    await run(storage.add([event(3), event(1)]))
    await run(storage.add([event(2)]))
    expect((await run(storage.load)).map((e) => e.id)).toEqual(["event-3", "event-1", "event-2"])
    await run(storage.remove(["event-1", "event-9"]))
    expect((await run(storage.load)).map((e) => e.id)).toEqual(["event-3", "event-2"])
    await run(storage.replace([event(7), event(8)]))
    expect(await run(storage.load)).toEqual([event(7), event(8)])
    await first.close()
    const again = await open(BrowserOutboxStorage.make({ database: name }))
    expect(await run(again.value.load)).toEqual([event(7), event(8)])
  })
})
