/**
 * The real client in Chromium: a registry published in Node with `Publish`
 * (the global setup), served by the dev server on another origin (CORS),
 * fetched by `SyncClient` into `BrowserStore` on IndexedDB, its manifest
 * verified with the browser's own WebCrypto Ed25519, activated, updated by
 * fetching only the chunks that changed, rolled back; telemetry queued on
 * IndexedDB and delivered to the dev server's ingest; and all of it still
 * there for the page loaded after this one.
 */
import { ModelRef } from "@edgeline/core"
import { Effect, Scope } from "effect"
import { afterEach, describe, expect, inject, it } from "vitest"
import { commands } from "vitest/browser"
import {
  BrowserOutboxStorage,
  BrowserStore,
  Layout,
  Outbox,
  Signature,
  SyncClient,
} from "../../src/index.js"
import type { ReopenConfig, ReopenResult } from "./pages/reopen.js"
import { scratchDatabase } from "./support/databases.js"

const registry = inject("syncRegistry")
const ref = ModelRef.make(registry.name, `sync:${registry.name}`)

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

/** A database name no other test uses, deleted after the test. */
const database = (what: string) => scratchDatabase(`client-test-${what}`, cleanups)

/** A scope of its own, closed after the test or by `close` (the page going away). */
const scope = async () => {
  const made = await run(Scope.make())
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await run(Scope.close(made, Effect.void as never))
  }
  cleanups.push(close)
  return { provide: Scope.provide(made), close }
}

/** A device: the client over a BrowserStore on `databaseName`, recording its statuses. */
const device = async (databaseName: string, options: Partial<SyncClient.Options> = {}) => {
  const { provide, close } = await scope()
  const statuses: Array<SyncClient.Status> = []
  const store = await run(provide(BrowserStore.make({ database: databaseName })))
  const client = await run(
    provide(
      SyncClient.make(
        {
          registry: registry.url,
          channel: registry.channel,
          trusted: [registry.publicKey],
          deviceId: `browser-${databaseName}`,
          retryBaseMs: 10,
          onStatus: (s) => statuses.push(s),
          ...options,
        },
        store,
      ),
    ),
  )
  return { client, store, statuses, close }
}

const hex = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")

/**
 * Starts the request log at a marker request: Playwright delivers request
 * events late under load, so an earlier test step's requests can arrive
 * after the log was cleared; events keep their order, so everything before
 * the marker is earlier work.
 */
const startLog = async () => {
  await commands.startRequestLog()
  const marker = `${registry.url}marker-${crypto.randomUUID()}`
  await fetch(marker).catch(() => undefined)
  return marker
}

/** Requests the browser made to the registry after `marker`. */
const registryRequests = async (marker: string) => {
  const log = await commands.requestLog()
  return log.slice(log.indexOf(marker) + 1).filter((url) => url.startsWith(registry.url))
}

/** The chunk sha256s named by blob URLs. */
const blobsIn = (urls: ReadonlyArray<string>) =>
  urls.filter((url) => url.includes("/blobs/sha256/")).map((url) => url.split("/").at(-1)!)

const publish = (channel: string, model: typeof registry.v1) =>
  commands.publish({
    directory: registry.directory,
    keyPath: registry.keyPath,
    model: model.path,
    name: registry.name,
    version: model.version,
    channel,
  })

describe("SyncClient over BrowserStore, in Chromium", () => {
  it("a fresh device downloads, verifies (WebCrypto Ed25519) and activates the model; the next start asks the registry nothing", async () => {
    const name = database("fresh")
    const first = await device(name)
    const installed = await run(first.client.ensure(registry.name))
    expect(installed).toMatchObject({
      version: registry.v1.version,
      sha256: registry.v1.sha256,
      size: registry.v1.size,
    })
    const served = await run(first.client.source.resolve(ref))
    expect(served.version).toBe(registry.v1.version)
    expect(served.bytes.length).toBe(registry.v1.size)
    expect(await hex(served.bytes)).toBe(registry.v1.sha256)
    expect(first.statuses.map((s) => s._tag)).toContain("Activated")
    expect(first.statuses.filter((s) => s._tag === "Downloading").at(-1)).toMatchObject({
      done: registry.v1.size,
      total: registry.v1.size,
    })
    await first.close()

    const marker = await startLog()
    const next = await device(name)
    expect((await run(next.client.ensure(registry.name, "local-or-latest"))).version).toBe(
      registry.v1.version,
    )
    expect(await hex((await run(next.client.source.resolve(ref))).bytes)).toBe(registry.v1.sha256)
    expect(await registryRequests(marker)).toEqual([])
  })

  it("refuses a manifest whose signature does not verify (WebCrypto), or by a key it does not trust, storing nothing", async () => {
    // The same key id with other key bytes: only Ed25519 verification can tell.
    const impostor = await run(Signature.generate(registry.publicKey.kid))
    expect(impostor.publicKey.kid).toBe(registry.publicKey.kid)
    const forged = await device(database("forged"), { trusted: [impostor.publicKey] })
    const refused = await refusal(forged.client.ensure(registry.name))
    expect(refused._tag).toBe("ManifestSignatureError")
    expect(refused.message).toContain("does not verify")
    expect(await run(forged.store.state)).toEqual({ models: {}, channels: {} })
    expect(await run(forged.store.hasModel(registry.v1.sha256))).toBe(false)
    const stranger = await run(Signature.generate("someone-else"))
    const untrusted = await device(database("untrusted"), { trusted: [stranger.publicKey] })
    const unknown = await refusal(untrusted.client.ensure(registry.name))
    expect(unknown._tag).toBe("ManifestSignatureError")
    expect(unknown.message).toContain("does not trust")
  })

  it("an update fetches only the chunks that changed, keeps the previous version, and rolls back", async () => {
    const channel = `update-${crypto.randomUUID()}`
    const first = await publish(channel, registry.v1)
    const { client, store } = await device(database("update"), { channel })
    expect((await run(client.ensure(registry.name))).version).toBe(registry.v1.version)

    const second = await publish(channel, registry.v2)
    expect(second.manifest).toBe(first.manifest + 1)
    const marker = await startLog()
    const checked = await run(client.check)
    expect(checked.activated).toEqual([{ model: registry.name, version: registry.v2.version }])

    // Exactly the chunks v1 lacks, each once, and nothing of v1 again.
    const old = new Set(first.chunks.map((c) => c.sha256))
    const changed = second.chunks.filter((c) => !old.has(c.sha256))
    expect(changed.length).toBeGreaterThan(0)
    const fetched = blobsIn(await registryRequests(marker))
    expect(fetched.sort()).toEqual(changed.map((c) => c.sha256).sort())
    const fetchedBytes = changed.reduce((sum, c) => sum + c.size, 0)
    expect(fetchedBytes / registry.v2.size).toBeLessThan(0.1)

    expect((await run(client.state)).models[registry.name]).toMatchObject({
      active: { version: registry.v2.version, sha256: registry.v2.sha256 },
      previous: { version: registry.v1.version, sha256: registry.v1.sha256 },
    })
    expect(await hex((await run(client.source.resolve(ref))).bytes)).toBe(registry.v2.sha256)
    // Both versions stay whole in the store; collect kept the previous one.
    expect(await run(store.hasModel(registry.v1.sha256))).toBe(true)

    const back = await run(client.rollback(registry.name))
    expect(back.version).toBe(registry.v1.version)
    const served = await run(client.source.resolve(ref))
    expect(served.version).toBe(registry.v1.version)
    expect(await hex(served.bytes)).toBe(registry.v1.sha256)
    const none = await refusal(client.rollback(registry.name))
    expect(none._tag).toBe("NoPreviousVersionError")
    expect(none.message).toContain("no previous version")
  })

  it("the telemetry outbox on IndexedDB delivers to the dev server's ingest, each event once", async () => {
    const deviceId = `outbox-${crypto.randomUUID()}`
    const { provide } = await scope()
    const outbox = await run(
      provide(
        Effect.flatMap(BrowserOutboxStorage.make({ database: database("outbox") }), (storage) =>
          Outbox.make({
            endpoint: registry.telemetry.endpoint,
            token: registry.telemetry.token,
            deviceId,
            storage,
            batchSize: 16,
          }),
        ),
      ),
    )
    for (let i = 0; i < 40; i++) {
      await run(outbox.telemetry.record({ kind: "sample", name: "labelled", payload: { i } }))
    }
    await run(outbox.telemetry.record({ kind: "counter", name: "escalations", value: 3 }))
    expect(await run(outbox.flush)).toBe(41)
    expect(await run(outbox.flush)).toBe(0)
    expect((await run(outbox.stats)).queued).toBe(0)
    const stored = (
      (await commands.readJsonLines(registry.telemetry.file)) as Array<{
        deviceId: string
        event: { id: string; kind: string; payload?: { i: number }; value?: number }
      }>
    ).filter((line) => line.deviceId === deviceId)
    expect(stored).toHaveLength(41)
    expect(new Set(stored.map((line) => line.event.id)).size).toBe(41)
    expect(stored.slice(0, 40).map((line) => line.event.payload?.i)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    )
    expect(stored.at(-1)?.event).toMatchObject({ kind: "counter", value: 3 })
  })

  it("a reloaded page finds the verified model active with no download, and uploads the telemetry the last page queued", async () => {
    const storeDatabase = database("reload-store")
    const outboxDatabase = database("reload-outbox")
    const deviceId = `reload-${crypto.randomUUID()}`
    const before = await device(storeDatabase)
    await run(before.client.ensure(registry.name))
    const { provide, close } = await scope()
    const outbox = await run(
      provide(
        Effect.flatMap(BrowserOutboxStorage.make({ database: outboxDatabase }), (storage) =>
          Outbox.make({
            endpoint: registry.telemetry.endpoint,
            token: registry.telemetry.token,
            deviceId,
            storage,
          }),
        ),
      ),
    )
    for (let i = 0; i < 5; i++) {
      await run(outbox.telemetry.record({ kind: "sample", name: "before-reload", payload: { i } }))
    }
    // The page goes away without uploading.
    await close()
    await before.close()

    const marker = await startLog()
    const config: ReopenConfig = {
      storeDatabase,
      outboxDatabase,
      deviceId,
      registry: {
        url: registry.url,
        channel: registry.channel,
        publicKey: registry.publicKey,
        name: registry.name,
        telemetry: registry.telemetry,
      },
    }
    const page = new URL("/test/browser/pages/reopen.html", location.origin)
    page.searchParams.set("config", JSON.stringify(config))
    const result = (await commands.freshPage(page.href)) as ReopenResult
    expect(result).toEqual({
      active: { version: registry.v1.version, sha256: registry.v1.sha256 },
      served: registry.v1.sha256,
      queuedBefore: 5,
      uploaded: 5,
      queuedAfter: 0,
    })
    // The reloaded page fetched no manifest and no chunk: only the upload went out.
    const requests = await registryRequests(marker)
    expect(requests).toContain(registry.telemetry.endpoint)
    expect(requests.filter((url) => url.includes(Layout.manifestPath(registry.channel)))).toEqual(
      [],
    )
    expect(blobsIn(requests)).toEqual([])
    const stored = (
      (await commands.readJsonLines(registry.telemetry.file)) as Array<{
        deviceId: string
        event: { name: string }
      }>
    ).filter((line) => line.deviceId === deviceId)
    expect(stored.map((line) => line.event.name)).toEqual(Array(5).fill("before-reload"))
  })
})
