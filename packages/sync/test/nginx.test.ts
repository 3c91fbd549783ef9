/**
 * The device client against a real static host: a registry published with
 * `Publish` into a directory and served by nginx (the Debian package,
 * started here on a loopback port, test/support/Nginx.ts) with nothing but
 * its static-file defaults. nginx's own ETags (mtime and size), 304s and
 * ranges are what the client meets, and nginx's access log is what the
 * assertions read. Without nginx the file fails and says how to install it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ModelRef } from "@edgeline/core"
import { Effect, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Layout, MemoryStore, Signature, type Store, SyncClient } from "../src/index.js"
import { FileStore, Publish } from "../src/node/index.js"
import * as ChaosProxy from "./support/ChaosProxy.js"
import * as Nginx from "./support/Nginx.js"
import { writeFlippedTail } from "./support/OnnxVariant.js"

const SILERO = createRequire(import.meta.url).resolve(
  "@edgeline/model-silero-vad/silero_vad_v5.onnx",
)
const REF = ModelRef.make("silero-vad", "sync:silero-vad")
const MANIFEST = `/${Layout.manifestPath("stable")}`

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** A registry directory with a key, served by a fresh nginx. */
const registry = async () => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-sync-nginx-"))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const root = join(dir, "registry")
  const keys = await run(Signature.generate("fleet"))
  const publish = (model: string, version: string) =>
    run(
      Publish.publish({
        model,
        name: "silero-vad",
        version,
        channel: "stable",
        key: keys.privateKey,
        out: root,
      }),
    )
  // The first publish makes the directory nginx serves.
  const v1 = await publish(SILERO, "5.0.0")
  const host = await Nginx.start({ root })
  cleanups.push(() => host.close())
  /** nginx's log from now on: what the next steps asked of it. */
  const mark = async () => {
    const seen = (await host.requests()).length
    return async () => (await host.requests()).slice(seen)
  }
  return { dir, keys, publish, v1, host, mark }
}

type Registry = Awaited<ReturnType<typeof registry>>

/** A client over `store` in its own scope, closed after the test. */
const client = async (
  reg: Registry,
  store: Store.Shape,
  options: Partial<SyncClient.Options> = {},
) => {
  const scope = await run(Scope.make())
  cleanups.push(() => run(Scope.close(scope, Effect.void as never)))
  return run(
    Scope.provide(scope)(
      SyncClient.make(
        {
          registry: reg.host.url,
          channel: "stable",
          trusted: [reg.keys.publicKey],
          deviceId: "device-1",
          retryBaseMs: 10,
          ...options,
        },
        store,
      ),
    ),
  )
}

const activeBytes = async (device: SyncClient.Shape) =>
  Buffer.from((await run(device.source.resolve(REF))).bytes)

/** Silero with its last 20 000 bytes changed: a version that retrained its last layer. */
const retrained = async (reg: Registry) => {
  const path = join(reg.dir, "silero-5.1.0.onnx")
  return { path, bytes: Buffer.from(await writeFlippedTail(SILERO, path)) }
}

const blobRequests = (logged: ReadonlyArray<Nginx.Logged>) =>
  logged.filter((r) => r.path.startsWith("/blobs/"))
const sum = (logged: ReadonlyArray<Nginx.Logged>) => logged.reduce((n, r) => n + r.bytes, 0)

describe("SyncClient against nginx", () => {
  it("the first sync activates v1 with its exact bytes; the next check is a 304 for nginx's own ETag", async () => {
    const reg = await registry()
    const manifest = await fetch(`${reg.host.url}${MANIFEST}`)
    await manifest.body?.cancel()
    expect(manifest.headers.get("content-type")).toBe("application/json")
    const device = await client(reg, MemoryStore.make())

    expect((await run(device.ensure("silero-vad"))).version).toBe("5.0.0")
    expect((await activeBytes(device)).equals(await readFile(SILERO))).toBe(true)
    // nginx's ETag ("<mtime>-<size>" in hex), kept as nginx sent it.
    const etag = (await run(device.state)).channels.stable?.etag
    expect(etag).toBe(manifest.headers.get("etag"))
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)

    const since = await reg.mark()
    expect(await run(device.check)).toEqual({ activated: [] })
    expect(await since()).toEqual([
      expect.objectContaining({ path: MANIFEST, status: 304, bytes: 0, ifNoneMatch: etag }),
    ])
  })

  it("an update downloads only the chunks that changed", async () => {
    const reg = await registry()
    const device = await client(reg, MemoryStore.make())
    await run(device.ensure("silero-vad"))
    const v2 = await retrained(reg)
    const published = await reg.publish(v2.path, "5.1.0")

    const since = await reg.mark()
    expect((await run(device.check)).activated).toEqual([{ model: "silero-vad", version: "5.1.0" }])
    expect((await activeBytes(device)).equals(v2.bytes)).toBe(true)
    const blobs = blobRequests(await since())
    // Exactly the chunks the publish wrote (the rest were already on the device), each once.
    expect(blobs).toHaveLength(published.written)
    expect(sum(blobs)).toBe(published.bytesWritten)
    expect(sum(blobs) / v2.bytes.length).toBeLessThan(0.1)
  })

  it("a manifest republished within the same second at the same size is not answered 304", async () => {
    const reg = await registry()
    const device = await client(reg, MemoryStore.make())
    await run(device.ensure("silero-vad"))
    const before = (await run(device.state)).channels.stable?.etag
    // The same bytes as 5.0.1: a manifest of exactly the same length, so
    // only its mtime (whole seconds in nginx's ETag) can tell it apart.
    const republished = await reg.publish(SILERO, "5.0.1")
    expect(republished.manifest.version).toBe(2)
    expect(await run(device.check)).toEqual({ manifest: 2, activated: [] })
    expect((await run(device.state)).channels.stable).toMatchObject({ accepted: 2 })
    expect((await run(device.state)).channels.stable?.etag).not.toBe(before)
  })

  it("a download cut at half resumes with a Range request to nginx and fetches about the model's size in all", async () => {
    const reg = await registry()
    const model = reg.v1.model
    // The chunk that holds the model's middle byte, and the cut's offset in it:
    // the client fetches the distinct chunks in manifest order, one at a time.
    const chunks = [...new Map(model.chunks.map((c) => [c.sha256, c])).values()]
    let offset = 0
    let index = 0
    while (offset + chunks[index]!.size <= model.size / 2) offset += chunks[index++]!.size
    const at = Math.max(1, Math.floor(model.size / 2) - offset)
    const cutChunk = chunks[index]!
    const proxy = await ChaosProxy.start({
      target: reg.host.url,
      seed: 11,
      faults: [{ path: ChaosProxy.blobs, on: [index], fault: { kind: "cut", at } }],
    })
    cleanups.push(() => proxy.close())
    const storeDir = join(reg.dir, "device")
    const since = await reg.mark()

    // One try per chunk: the cut ends this run with the download half done.
    const first = await client(reg, await run(FileStore.make(storeDir)), {
      registry: proxy.url,
      attempts: 1,
    })
    const cut = await run(Effect.flip(first.ensure("silero-vad")))
    expect(cut._tag).toBe("DownloadError")
    expect(proxy.stats().log).toEqual([
      expect.objectContaining({ kind: "cut", detail: `at ${at} of ${cutChunk.size} bytes` }),
    ])
    expect((await run(first.state)).models["silero-vad"]).toBeUndefined()

    // The app starts again on the same store directory and resumes.
    const second = await client(reg, await run(FileStore.make(storeDir)), { registry: proxy.url })
    expect((await run(second.ensure("silero-vad"))).version).toBe("5.0.0")
    expect((await activeBytes(second)).equals(await readFile(SILERO))).toBe(true)

    const logged = await since()
    const cutPath = `/${Layout.blobPath(cutChunk.sha256)}`
    // nginx answered the rest of the cut chunk as a range, and every other chunk once.
    // The range starts where the kept partial ends: at most the cut offset
    // (bytes still queued in the HTTP client when the link broke are lost).
    const [whole, rest] = logged.filter((r) => r.path === cutPath)
    expect(whole).toMatchObject({ status: 200, bytes: cutChunk.size, range: undefined })
    const resumedAt = Number(rest?.range?.match(/^bytes=(\d+)-$/)?.[1])
    expect(resumedAt).toBeGreaterThan(0)
    expect(resumedAt).toBeLessThanOrEqual(at)
    expect(rest).toMatchObject({ status: 206, bytes: cutChunk.size - resumedAt })
    expect(blobRequests(logged)).toHaveLength(chunks.length + 1)
    // What reached the device: the model once, plus the manifest (fetched by each run).
    const manifests = sum(logged.filter((r) => r.path === MANIFEST))
    expect(logged.filter((r) => r.path === MANIFEST)).toHaveLength(2)
    expect(proxy.stats().bytesServed).toBeLessThanOrEqual(model.size * 1.05 + manifests)
    expect(proxy.stats().bytesServed).toBeGreaterThanOrEqual(model.size)
  })
})
