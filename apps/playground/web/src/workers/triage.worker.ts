/**
 * The device: one worker runs the recipes' message-triage cascade on the
 * model its sync client keeps current, so an update or a rollback switches
 * the running pipeline (core's model lifecycle), and a version that fails to
 * load is rolled back by itself (`SyncClient.rollBackFailedLoads`).
 *
 * - The pipeline: `serveWorker` on the worker's port (the page's `Runner`).
 * - Sync: a `SyncClient` over IndexedDB (`BrowserStore`) reading the dev
 *   registry at /registry/ on the page's origin (so the offline switch cuts it).
 *   Its controls go to the page over comlink on a BroadcastChannel, its
 *   status events on another (see triage.protocol.ts).
 * - The cloud: the reference tier at /cloud/v1 (the triage teacher).
 *
 * A first visit while offline has nothing synced: the pipeline then runs
 * the student bundled with the page, and says so (as it does when the store
 * cannot be opened at all, e.g. IndexedDB blocked: then sync is off).
 */
import { ModelRef, ModelSource, OpenAiCloudModel } from "@edgeline/core"
import * as Student from "@edgeline/model-message-triage"
import bundledStudentUrl from "@edgeline/model-message-triage/model.onnx?url"
import { MessageTriage, TokenCount } from "@edgeline/recipes"
import { isOnnxRuntimeThread, serveWorker, WebBackend } from "@edgeline/runtime-web"
import {
  BrowserStore,
  Layout,
  type Signature,
  Signature as Signatures,
  SyncClient,
} from "@edgeline/sync"
import * as Comlink from "comlink"
import { Effect, Layer } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import { messageOf } from "../messageOf.js"
import {
  type Control,
  type InstalledVersion,
  type ModelsView,
  READY,
  type StatusEvent,
  TRIAGE_MODEL,
  type WorkerConfig,
} from "./triage.protocol.js"

/**
 * The student as sync names it: no pinned sha256 (the recipe's ref pins the
 * npm package's file, and every newer version differs from it).
 */
const model = ModelRef.make(TRIAGE_MODEL, `sync:${TRIAGE_MODEL}`)

/** A status as the page gets it: plain data (a check's error, a class, as its message). */
const flatten = (status: SyncClient.Status): StatusEvent =>
  status._tag === "CheckFailed"
    ? { _tag: "CheckFailed", message: status.error.message }
    : { ...status }

const thresholdOf = (metadata: Readonly<Record<string, unknown>> | undefined) =>
  typeof metadata?.threshold === "number" ? metadata.threshold : undefined

/** The device for the page that started this worker. */
const start = (config: WorkerConfig) => {
  const registry = `${location.origin}/registry/`
  const trusted = config.trustedKeys as ReadonlyArray<Signature.PublicKey>
  const statusChannel = new BroadcastChannel(config.status)

  let serving: ModelsView["serving"] = "starting"
  /** The slider's threshold (the page sets it first to the active version's own). */
  let threshold = Student.threshold

  /** Sync's client, or why there is none (its store could not be opened). */
  const opened: Promise<SyncClient.PromiseClient | { readonly storeError: string }> =
    SyncClient.open(
      {
        registry,
        channel: config.channel,
        trusted,
        deviceId: config.deviceId,
        // A dead link fails a check in seconds, not the default ten per wait.
        stallMs: 5_000,
        attempts: 2,
        onStatus: (status) => statusChannel.postMessage(flatten(status)),
      },
      BrowserStore.make({ database: "edgeline-playground-sync" }),
    ).catch((e: unknown) => ({ storeError: messageOf(e) }))

  /** Why the bundled student runs, when it does. */
  let bundledBecause: string | undefined
  /** The local version if there is one, else the registry's; whether the pipeline has a synced one. */
  const ensured = opened.then(async (client) => {
    if ("storeError" in client) {
      serving = "bundled"
      bundledBecause = "this device's model store cannot be opened"
      return client
    }
    try {
      await client.ensure(TRIAGE_MODEL, "local-or-latest")
      serving = "sync"
    } catch (e) {
      // Nothing is on the device: ensure fails only then. A failed check has
      // already reached the log as the client's own CheckFailed status.
      serving = "bundled"
      bundledBecause = messageOf(e)
    }
    return client
  })

  /** The student bundled with the page, as a model source's answer. */
  const bundled = (ref: ModelRef.ModelRef) =>
    ModelSource.fromPromise(ref, async () => {
      const response = await fetch(bundledStudentUrl)
      if (!response.ok) {
        throw new Error(
          `the bundled copy could not be read (HTTP ${response.status} for ${bundledStudentUrl})`,
        )
      }
      return new Uint8Array(await response.arrayBuffer())
    }).pipe(Effect.map((bytes) => ({ ...bytes, version: "bundled" })))

  /**
   * Sync's active version; the bundled student only while sync has none on
   * this device. A synced version that cannot be read fails the load (the
   * pipeline says so) rather than quietly running another model.
   */
  const sourceOf = (client: SyncClient.PromiseClient): ModelSource.Shape => ({
    resolve: (ref) =>
      client.effect.state.pipe(
        Effect.map((state) => state.models[ref.name]?.active !== undefined),
        Effect.mapError((e) => ModelSource.notFound(ref, e.message)),
        Effect.flatMap((synced) => (synced ? client.effect.source.resolve(ref) : bundled(ref))),
      ),
    changes: client.effect.source.changes,
  })

  const backend = WebBackend.layer({ wasmPaths: { wasm: wasmUrl }, executionProviders: ["wasm"] })
  const layer = Layer.unwrap(
    Effect.map(
      Effect.promise(() => ensured),
      (client) =>
        Layer.mergeAll(
          "storeError" in client
            ? Layer.succeed(ModelSource.ModelSource, { resolve: bundled }).pipe(
                Layer.provideMerge(backend),
              )
            : Layer.mergeAll(
                Layer.succeed(ModelSource.ModelSource, sourceOf(client)),
                Layer.effectDiscard(SyncClient.rollBackFailedLoads(client.effect)),
              ).pipe(Layer.provideMerge(backend)),
          OpenAiCloudModel.layer({
            baseUrl: `${location.origin}/cloud/v1`,
            model: config.chatModel,
            // Offline shows as degraded at once, and a restored link is tried again soon.
            retries: false,
            circuitBreaker: { failures: 3, cooldownMs: 5_000 },
          }),
        ),
    ),
  )

  serveWorker(
    MessageTriage.make({
      model,
      policy: { threshold: () => threshold },
      timeoutMs: 10_000,
    }),
    layer,
  )

  /** The manifest as last read: shown, marked as such, while the registry is unreachable. */
  let lastOffered: ModelsView["offered"]
  const view = async (
    client: SyncClient.PromiseClient | { readonly storeError: string },
  ): Promise<ModelsView> => {
    const storeError = "storeError" in client ? client.storeError : undefined
    const state = "storeError" in client ? { models: {} } : await client.state()
    const installed: Record<string, { active: InstalledVersion; previous?: InstalledVersion }> = {}
    const versionOf = (v: {
      version: string
      sha256: string
      size: number
      activated: string
      metadata?: Readonly<Record<string, unknown>> | undefined
    }): InstalledVersion => ({
      version: v.version,
      sha256: v.sha256,
      size: v.size,
      activated: v.activated,
      threshold: thresholdOf(v.metadata),
    })
    for (const [name, m] of Object.entries(state.models)) {
      installed[name] = {
        active: versionOf(m.active),
        ...(m.previous === undefined ? {} : { previous: versionOf(m.previous) }),
      }
    }
    let offeredError: string | undefined
    try {
      const manifest = await readManifest()
      lastOffered = {
        version: manifest.version,
        models: manifest.models.map((m) => ({
          name: m.name,
          version: m.version,
          size: m.size,
          threshold: thresholdOf(m.metadata),
        })),
      }
    } catch (e) {
      offeredError = messageOf(e)
    }
    return {
      installed,
      wanted: [TRIAGE_MODEL],
      serving,
      offered: lastOffered,
      offeredError,
      bundledBecause: serving === "bundled" ? bundledBecause : undefined,
      storeError,
    }
  }

  /** The channel's manifest as the registry offers it now, verified as the client would. */
  const readManifest = async () => {
    const url = new URL(Layout.manifestPath(config.channel), registry).href
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(
      (e: unknown) => {
        throw new Error(`the registry is unreachable (${messageOf(e)})`)
      },
    )
    if (!response.ok) throw new Error(`the registry answered HTTP ${response.status}`)
    const json = (await response.json()) as unknown
    return Effect.runPromise(Signatures.verify(json, { trusted, channel: config.channel }))
  }

  const syncOff = (storeError: string) => ({
    ok: false,
    message: `Sync is off: this device's model store (IndexedDB) cannot be opened (${storeError}). Allow this site to store data, then reload the page.`,
  })

  const control: Control = {
    models: async () => view(await ensured),
    update: async () => {
      const client = await ensured
      if ("storeError" in client) return syncOff(client.storeError)
      try {
        const checked = await client.check()
        if (serving === "bundled" && (await client.state()).models[TRIAGE_MODEL] !== undefined) {
          serving = "sync"
        }
        return {
          ok: true,
          message:
            checked.activated.length === 0
              ? "Up to date: nothing new for this device."
              : `Activated ${checked.activated.map((a) => `${a.model} ${a.version}`).join(", ")}.`,
        }
      } catch (e) {
        return {
          ok: false,
          message: `Update failed: ${messageOf(e)}. The active model keeps working; try again when the registry is reachable.`,
        }
      }
    },
    rollback: async (name) => {
      const client = await ensured
      if ("storeError" in client) return syncOff(client.storeError)
      try {
        const to = await client.rollback(name, "rolled back from the playground")
        return { ok: true, message: `${name} is back on ${to.version}.` }
      } catch (e) {
        return { ok: false, message: `Rollback failed: ${messageOf(e)}.` }
      }
    },
    setThreshold: async (value) => {
      threshold = value
    },
    tokens: async (text) => TokenCount.count(text),
  }

  Comlink.expose(control, new BroadcastChannel(config.control))
  statusChannel.postMessage(READY)
}

// onnxruntime-web runs this same script in its wasm threads: only the worker itself starts.
if (!isOnnxRuntimeThread()) start(JSON.parse(self.name) as WorkerConfig)
