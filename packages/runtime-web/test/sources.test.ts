import { ModelNotFoundError, ModelRef, ModelSource } from "@edgeline/core"
import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { SileroVad } from "@edgeline/recipes"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { commands } from "vitest/browser"
import { FetchModelSource } from "../src/index.js"

const silero = ModelRef.make("silero_vad_v5", "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx")

const resolve = (ref: ModelRef.ModelRef, options: FetchModelSource.Options) =>
  Effect.gen(function* () {
    const source = yield* ModelSource.ModelSource
    return yield* source.resolve(ref)
  }).pipe(Effect.provide(FetchModelSource.layer(options)))

const sha256 = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")

describe("fetch + Cache Storage model source", () => {
  afterEach(() => commands.goOnline())

  it("maps an npm: ref to its served URL and fetches the model", async () => {
    const { bytes } = await Effect.runPromise(
      resolve(silero, { models: { [silero.uri]: sileroUrl }, cacheName: false }),
    )
    expect(bytes.byteLength).toBeGreaterThan(100_000)
  })

  it("serves a model loaded once while the browser is offline", async () => {
    const cacheName = `offline-${Math.random()}`
    const options = { models: { [silero.uri]: sileroUrl }, cacheName }
    const online = await Effect.runPromise(resolve(silero, options))
    await commands.goOffline("silero_vad_v5")
    await expect(fetch(`${sileroUrl}?probe`)).rejects.toThrow()
    const offline = await Effect.runPromise(resolve(silero, options))
    expect(offline.bytes).toEqual(online.bytes)
    await caches.delete(cacheName)
  })

  it("without a cache, offline is a typed ModelNotFoundError that says so", async () => {
    await commands.goOffline("silero_vad_v5")
    const error = await Effect.runPromise(
      Effect.flip(
        resolve(silero, {
          models: { [silero.uri]: sileroUrl },
          cacheName: `empty-${Math.random()}`,
        }),
      ),
    )
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect(error.message).toMatch(/not cached/)
  })

  it("with a sha256, answers from the cache first and verifies the bytes", async () => {
    const cacheName = `pinned-${Math.random()}`
    const bytes = new Uint8Array(await (await fetch(sileroUrl)).arrayBuffer())
    const pinned = ModelRef.make("silero_vad_v5", silero.uri, { sha256: await sha256(bytes) })
    await Effect.runPromise(resolve(pinned, { models: { [silero.uri]: sileroUrl }, cacheName }))
    await commands.startRequestLog()
    const again = await Effect.runPromise(
      resolve(pinned, { models: { [silero.uri]: sileroUrl }, cacheName }),
    )
    expect(again.bytes).toEqual(bytes)
    expect((await commands.requestLog()).filter((u) => u.includes("silero_vad_v5"))).toEqual([])
    await caches.delete(cacheName)
  })

  it("the recipes' own ref (SileroVad.model) is pinned, so a second load never touches the network", async () => {
    const cacheName = `bundled-${Math.random()}`
    const options = { models: { [SileroVad.model.uri]: sileroUrl }, cacheName }
    expect(SileroVad.model.sha256).toMatch(/^[0-9a-f]{64}$/)
    const first = await Effect.runPromise(resolve(SileroVad.model, options))
    await commands.startRequestLog()
    const second = await Effect.runPromise(resolve(SileroVad.model, options))
    expect(second.bytes).toEqual(first.bytes)
    expect(await sha256(second.bytes)).toBe(SileroVad.model.sha256)
    expect((await commands.requestLog()).filter((u) => u.includes("silero_vad_v5"))).toEqual([])
    await caches.delete(cacheName)
  })

  it("rejects bytes whose sha256 differs, and does not keep them", async () => {
    const cacheName = `wrong-${Math.random()}`
    const wrong = ModelRef.make("silero_vad_v5", silero.uri, { sha256: "0".repeat(64) })
    const error = await Effect.runPromise(
      Effect.flip(resolve(wrong, { models: { [silero.uri]: sileroUrl }, cacheName })),
    )
    expect(error.message).toMatch(/sha256 is [0-9a-f]{64}, expected 0{64}/)
    expect(await (await caches.open(cacheName)).match(sileroUrl)).toBeUndefined()
    await caches.delete(cacheName)
  })

  it("an unmapped npm: ref says how to map it", async () => {
    const error = await Effect.runPromise(Effect.flip(resolve(silero, { cacheName: false })))
    expect(error.message).toMatch(/pass \{ models: \{ "npm:@ricky0123/)
  })

  it("an HTTP 404 is a typed ModelNotFoundError", async () => {
    const missing = ModelRef.make("missing", "/no/such/model.onnx")
    const error = await Effect.runPromise(Effect.flip(resolve(missing, { cacheName: false })))
    expect(error.message).toMatch(/HTTP 404/)
  })
})
