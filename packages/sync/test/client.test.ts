/**
 * The device client against a real registry: models published with
 * `Publish`, served over HTTP on loopback by the dev server (ETag, Range),
 * fetched into a store, verified, activated, rolled back, and read by a
 * running pipeline on onnxruntime-node that switches versions live.
 */
import { readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import { createRunner, Infer, ModelRef, ModelSource, Pipeline, Tensor } from "@edgeline/core"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import {
  Layout,
  MemoryStore,
  NoPreviousVersionError,
  Rollout,
  Signature,
  type Store,
  StoreError,
  SyncClient,
} from "../src/index.js"
import { FileStore } from "../src/node/index.js"
import { writeFlippedTail } from "./support/OnnxVariant.js"
import * as TestRegistry from "./support/TestRegistry.js"

const require = createRequire(import.meta.url)
const SILERO = require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx")
const STUDENT = require.resolve("@edgeline/model-message-triage/model.onnx")
const TEACHER = new URL(
  "../../cloud-server/models/message-triage-teacher/model.onnx",
  import.meta.url,
).pathname

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A registry with the dev server in front, removed after the test. */
const registry = async () => {
  const reg = await TestRegistry.start("edgeline-sync-client-")
  cleanups.push(reg.close)
  return reg
}

type Registry = TestRegistry.TestRegistry

/** A client in its own scope (closed after the test), over `store`. */
const client = async (
  reg: Registry,
  store: Store.Shape,
  options: Partial<SyncClient.Options> = {},
) => {
  const device = await reg.client(store, options)
  cleanups.push(device.close)
  return device
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

/** The triage student on a fixed input: its spam probability. */
const triageStage = () =>
  Infer.infer<number, number>({
    name: "triage",
    model: ModelRef.make("triage", "sync:triage"),
    encode: () => ({
      indices: Tensor.make("int64", BigInt64Array.of(1n, 2n, 3n), [1, 3]),
      values: Tensor.make("float32", Float32Array.of(1, 1, 1), [1, 3]),
    }),
    decode: (outputs) => (outputs.probabilities!.data as Float32Array)[1]!,
  })

/** Silero with its last bytes changed: a version that retrained its last layer. */
const retrained = async (reg: Registry) => {
  const path = join(reg.dir, "silero-5.1.0.onnx")
  return { path, bytes: await writeFlippedTail(SILERO, path) }
}

describe("SyncClient", () => {
  it("local-or-latest: a fresh device downloads, verifies and activates the latest; then serves it with no request", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const store = MemoryStore.make()
    const { client: device, statuses } = await client(reg, store)
    const installed = await run(device.ensure("silero-vad"))
    expect(installed.version).toBe("5.0.0")
    const bytes = await run(device.source.resolve(ModelRef.make("silero-vad", "sync:silero-vad")))
    expect(Buffer.from(bytes.bytes).equals(await readFile(SILERO))).toBe(true)
    expect(statuses.map((s) => s._tag)).toContain("Activated")
    expect(statuses.filter((s) => s._tag === "Downloading").at(-1)).toMatchObject({
      done: (await readFile(SILERO)).length,
    })
    const before = reg.server.stats().requests
    const again = await client(reg, store)
    expect((await run(again.client.ensure("silero-vad", "local-or-latest"))).version).toBe("5.0.0")
    expect(reg.server.stats().requests).toBe(before)
  })

  it("status is a Stream too: checking, download progress up to the total, activation", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const { client: device } = await client(reg, MemoryStore.make())
    const seen = await run(
      Effect.gen(function* () {
        const collecting = yield* Effect.forkChild(
          Stream.runCollect(
            Stream.takeUntil(device.status, (status) => status._tag === "Activated"),
          ),
        )
        yield* Effect.sleep(Duration.millis(50))
        yield* device.ensure("silero-vad")
        return yield* Fiber.join(collecting)
      }),
    )
    expect([...new Set(seen.map((status) => status._tag))]).toEqual([
      "Checking",
      "Downloading",
      "Activated",
    ])
    const last = seen.filter((status) => status._tag === "Downloading").at(-1)
    expect(last).toMatchObject({ model: "silero-vad", done: (await readFile(SILERO)).length })
  })

  it("an update fetches only the chunks that changed, keeps the previous version, and rolls back", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const store = MemoryStore.make()
    const { client: device } = await client(reg, store)
    await run(device.ensure("silero-vad"))
    const v2 = await retrained(reg)
    await reg.publish(v2.path, "silero-vad", "5.1.0")
    const sentBefore = reg.server.stats().bytesSent
    const checked = await run(device.check)
    expect(checked.activated).toEqual([{ model: "silero-vad", version: "5.1.0" }])
    const fetched = reg.server.stats().bytesSent - sentBefore
    expect(fetched / v2.bytes.length).toBeLessThan(0.1)
    const state = await run(device.state)
    expect(state.models["silero-vad"]).toMatchObject({
      active: { version: "5.1.0" },
      previous: { version: "5.0.0" },
    })
    const ref = ModelRef.make("silero-vad", "sync:silero-vad")
    expect(
      Buffer.from((await run(device.source.resolve(ref))).bytes).equals(Buffer.from(v2.bytes)),
    ).toBe(true)
    const back = await run(device.rollback("silero-vad"))
    expect(back.version).toBe("5.0.0")
    // Rolled back from: a later manifest offering 5.1.0 again does not bring it back.
    await reg.publish(STUDENT, "triage", "1.0.0")
    expect((await run(device.check)).activated).toEqual([])
    expect((await run(device.source.resolve(ref))).version).toBe("5.0.0")
    const none = await refusal(device.rollback("silero-vad"))
    expect(none._tag).toBe("NoPreviousVersionError")
  })

  it("latest: asks the registry each time, and downloads nothing when the local version matches (304)", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const { client: device } = await client(reg, MemoryStore.make())
    await run(device.ensure("silero-vad", "latest"))
    const before = reg.server.stats()
    expect((await run(device.ensure("silero-vad", "latest"))).version).toBe("5.0.0")
    const after = reg.server.stats()
    expect(after.requests - before.requests).toBe(1)
    expect(after.notModified - before.notModified).toBe(1)
    expect(after.bytesSent).toBe(before.bytesSent)
  })

  it("local-then-update: answers with the local version at once and updates in the background", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const store = MemoryStore.make()
    const { client: first } = await client(reg, store)
    await run(first.ensure("silero-vad"))
    await reg.publish((await retrained(reg)).path, "silero-vad", "5.1.0")
    const { client: device, statuses } = await client(reg, store)
    expect((await run(device.ensure("silero-vad", "local-then-update"))).version).toBe("5.0.0")
    await expect
      .poll(() => statuses.some((s) => s._tag === "Activated"), { timeout: 10_000 })
      .toBe(true)
    expect((await run(device.state)).models["silero-vad"]?.active.version).toBe("5.1.0")
  })

  it("refuses a tampered, an untrusted-key and a replayed older manifest, keeping the active model", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const manifestFile = join(reg.dir, "registry", Layout.manifestPath("stable"))
    const v1 = await readFile(manifestFile, "utf8")
    await reg.publish((await retrained(reg)).path, "silero-vad", "5.1.0")
    const { client: device } = await client(reg, MemoryStore.make())
    await run(device.ensure("silero-vad"))
    const signed = JSON.parse(await readFile(manifestFile, "utf8"))
    signed.manifest.models[0].rollout.percent = 100
    signed.manifest.models[0].version = "9.0.0"
    await writeFile(manifestFile, JSON.stringify(signed))
    expect((await refusal(device.check))._tag).toBe("ManifestSignatureError")
    await writeFile(manifestFile, v1)
    const replay = await refusal(device.check)
    expect(replay).toMatchObject({ _tag: "ManifestDowngradeError", version: 1, accepted: 2 })
    const other = await client(reg, MemoryStore.make(), {
      trusted: [(await run(Signature.generate("other"))).publicKey],
    })
    const untrusted = await refusal(other.client.ensure("silero-vad"))
    expect(untrusted._tag).toBe("ManifestSignatureError")
    expect((await run(device.state)).models["silero-vad"]?.active.version).toBe("5.1.0")
  })

  it("refuses another channel's manifest served in place of its own (signed, current, but not for this channel), keeping the active model", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const { client: device } = await client(reg, MemoryStore.make())
    await run(device.ensure("silero-vad"))
    // A beta build, validly signed, copied over stable's manifest (a CDN
    // misconfiguration, or someone on the path).
    await reg.publish((await retrained(reg)).path, "silero-vad", "6.0.0-beta", {
      channel: "beta",
    })
    const registryDir = join(reg.dir, "registry")
    await writeFile(
      join(registryDir, Layout.manifestPath("stable")),
      await readFile(join(registryDir, Layout.manifestPath("beta"))),
    )
    const refused = await refusal(device.check)
    expect(refused._tag).toBe("ManifestSignatureError")
    expect(refused.message).toContain(`signed for channel "beta", not "stable"`)
    expect((await run(device.state)).models["silero-vad"]?.active.version).toBe("5.0.0")
  })

  it("conditions: nothing is downloaded while they do not hold (Waiting); the next check once they do fetches it", async () => {
    const reg = await registry()
    await reg.publish(STUDENT, "triage", "1.0.0")
    let unmetered = false
    const { client: device, statuses } = await client(reg, MemoryStore.make(), {
      conditions: async () => unmetered,
    })
    const sent = reg.server.stats().bytesSent
    const refused = await refusal(device.ensure("triage"))
    expect(refused).toMatchObject({ _tag: "ModelUnavailableError" })
    expect(refused.message).toContain("download conditions")
    expect(statuses.map((s) => s._tag)).toContain("Waiting")
    const manifestBytes = reg.server.stats().bytesSent - sent
    expect(manifestBytes).toBeLessThan(10_000)

    unmetered = true
    expect((await run(device.check)).activated).toEqual([{ model: "triage", version: "1.0.0" }])
    expect((await run(device.state)).models.triage?.active.version).toBe("1.0.0")
  })

  it("a model asked for after a check is fetched on its own ensure, with no new publish", async () => {
    const reg = await registry()
    await reg.publish(STUDENT, "triage", "1.0.0")
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const { client: device } = await client(reg, MemoryStore.make())
    expect((await run(device.ensure("triage"))).version).toBe("1.0.0")
    // The manifest is the one handled already, but silero-vad was not wanted then.
    expect((await run(device.ensure("silero-vad", "latest"))).version).toBe("5.0.0")
    const notModified = reg.server.stats().notModified
    expect((await run(device.check)).activated).toEqual([])
    expect(reg.server.stats().notModified).toBe(notModified + 1)
  })

  it("staged rollout: a device outside the percentage keeps its version; the same device is placed the same way each time", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const store = MemoryStore.make()
    await run((await client(reg, store)).client.ensure("silero-vad"))
    await reg.publish((await retrained(reg)).path, "silero-vad", "5.1.0", { rolloutPercent: 0 })
    const { client: device } = await client(reg, store)
    await run(device.ensure("silero-vad", "latest"))
    expect((await run(device.state)).models["silero-vad"]?.active.version).toBe("5.0.0")
    const placements = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        Effect.runPromise(Rollout.place("silero-vad@5.1.0", `d${i}`)),
      ),
    )
    const under10 = placements.filter((p) => p < 10).length
    expect(under10).toBeGreaterThan(60)
    expect(under10).toBeLessThan(140)
    expect(await Effect.runPromise(Rollout.place("silero-vad@5.1.0", "d7"))).toBe(placements[7])
  })

  it("does not activate a version that fails the smoke check, and says why", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const store = MemoryStore.make()
    await run((await client(reg, store)).client.ensure("silero-vad"))
    await reg.publish((await retrained(reg)).path, "silero-vad", "5.1.0")
    const { client: device, statuses } = await client(reg, store, {
      smoke: async (_name, bytes) => {
        const ort = await import("onnxruntime-node")
        await ort.InferenceSession.create(bytes)
      },
    })
    await run(device.ensure("silero-vad", "latest"))
    expect((await run(device.state)).models["silero-vad"]?.active.version).toBe("5.0.0")
    expect(statuses.find((s) => s._tag === "Rejected")).toMatchObject({
      model: "silero-vad",
      version: "5.1.0",
    })
  })

  it("with no local model and no registry, says the model is unavailable with a typed error", async () => {
    const reg = await registry()
    const { client: device } = await client(reg, MemoryStore.make(), {
      registry: "http://127.0.0.1:9/",
      attempts: 1,
      stallMs: 2000,
    })
    const error = await refusal(device.ensure("silero-vad"))
    expect(error._tag).toBe("DownloadError")
    await reg.publish(SILERO, "other-model", "1.0.0")
    const { client: second } = await client(reg, MemoryStore.make())
    expect((await refusal(second.ensure("silero-vad")))._tag).toBe("ModelUnavailableError")
  })

  it("a check that fails reports CheckFailed on the status stream, once, as well as failing", async () => {
    const reg = await registry()
    const { client: device, statuses } = await client(reg, MemoryStore.make(), {
      registry: "http://127.0.0.1:9/",
      attempts: 1,
      stallMs: 2000,
    })
    const error = await refusal(device.check)
    const failed = statuses.filter((s) => s._tag === "CheckFailed")
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ error: { _tag: error._tag, message: error.message } })
    expect(failed[0]).not.toHaveProperty("retryInMs")
  })

  it("a running pipeline switches to the activated version without a restart", async () => {
    const reg = await registry()
    await reg.publish(STUDENT, "triage", "1.0.0")
    const store = MemoryStore.make()
    const { client: device } = await client(reg, store)
    await run(device.ensure("triage"))
    const runner = await createRunner(Pipeline.make("live", triageStage()), {
      layer: Layer.merge(
        NodeRuntime.layer(),
        Layer.succeed(ModelSource.ModelSource, device.source),
      ),
    })
    cleanups.push(() => runner.close())
    const before = await runner.run(0)
    await reg.publish(TEACHER, "triage", "2.0.0")
    expect((await run(device.check)).activated).toEqual([{ model: "triage", version: "2.0.0" }])
    await expect.poll(async () => (await runner.run(0)) !== before, { timeout: 10_000 }).toBe(true)
    await run(device.rollback("triage"))
    await expect.poll(async () => await runner.run(0), { timeout: 10_000 }).toBe(before)
  })

  it("a version that fails to load in the running pipeline is rolled back by itself", async () => {
    const reg = await registry()
    await reg.publish(STUDENT, "triage", "1.0.0")
    const store = MemoryStore.make()
    const { client: device, statuses } = await client(reg, store)
    await run(device.ensure("triage"))
    const runner = await createRunner(Pipeline.make("live", triageStage()), {
      layer: SyncClient.pipelineLayer(device).pipe(Layer.provideMerge(NodeRuntime.layer())),
    })
    cleanups.push(() => runner.close())
    const before = await runner.run(0)
    // Signed and hashed like any version, but not a model onnxruntime can load.
    const broken = join(reg.dir, "broken.onnx")
    await writeFile(broken, new TextEncoder().encode("not an onnx model ".repeat(4096)))
    await reg.publish(broken, "triage", "2.0.0")
    expect((await run(device.check)).activated).toEqual([{ model: "triage", version: "2.0.0" }])
    await expect
      .poll(async () => (await run(device.state)).models.triage?.active.version, {
        timeout: 10_000,
      })
      .toBe("1.0.0")
    expect(statuses.find((s) => s._tag === "RolledBack")).toMatchObject({
      model: "triage",
      from: "2.0.0",
      to: "1.0.0",
      reason: expect.stringContaining("version 2.0.0 failed to load"),
    })
    expect(await runner.run(0)).toBe(before)
    // A new manifest (another model published) still offers 2.0.0: it is not activated again.
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    expect((await run(device.check)).activated).toEqual([])
    expect(statuses.filter((s) => s._tag === "Activated")).toHaveLength(2)
    // Another version clears the refusal.
    await reg.publish(TEACHER, "triage", "3.0.0")
    expect((await run(device.check)).activated).toEqual([{ model: "triage", version: "3.0.0" }])
  })
})

describe("SyncClient with Promises", () => {
  it("open over a FileStore: ensure, check, status callbacks, rollback, typed rejections, close", async () => {
    const reg = await registry()
    await reg.publish(SILERO, "silero-vad", "5.0.0")
    const device = await SyncClient.open(
      {
        registry: reg.server.url,
        channel: "stable",
        trusted: [reg.keys.publicKey],
        deviceId: "device-1",
        retryBaseMs: 10,
      },
      FileStore.make(join(reg.dir, "device")),
    )
    let closed = false
    cleanups.push(async () => {
      if (!closed) await device.close()
    })
    const statuses: Array<SyncClient.Status["_tag"]> = []
    const unsubscribe = device.onStatus((s) => statuses.push(s._tag))
    expect((await device.ensure("silero-vad")).version).toBe("5.0.0")
    expect(statuses).toContain("Activated")

    await reg.publish((await retrained(reg)).path, "silero-vad", "5.1.0")
    expect((await device.check()).activated).toEqual([{ model: "silero-vad", version: "5.1.0" }])
    expect((await device.rollback("silero-vad")).version).toBe("5.0.0")
    expect(statuses.at(-1)).toBe("RolledBack")
    unsubscribe()
    await device.check()
    expect(statuses.at(-1)).toBe("RolledBack")

    const error = await device.rollback("silero-vad").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoPreviousVersionError)
    expect((error as NoPreviousVersionError).message).toContain("no previous version")
    await device.close()
    closed = true

    // The store was closed with the client and holds what it committed.
    const reopened = await FileStore.open(join(reg.dir, "device"))
    expect((await reopened.state()).models["silero-vad"]?.active.version).toBe("5.0.0")
  })

  it("open refuses a store that cannot be opened, with its typed error", async () => {
    const reg = await registry()
    const file = join(reg.dir, "a-file")
    await writeFile(file, "not a directory")
    const error = await SyncClient.open(
      { registry: reg.server.url, channel: "stable", trusted: [], deviceId: "d" },
      FileStore.make(file),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreError)
  })
})
