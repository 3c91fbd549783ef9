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
 * the student bundled with the page, and says so.
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

const messageOf = (e: unknown): string =>
  e instanceof Error
    ? e.message
    : typeof e === "object" && e !== null && "message" in e
      ? String(e.message)
      : String(e)

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

  const opened = SyncClient.open(
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
  )

  /** The local version if there is one, else the registry's; whether the pipeline has a synced one. */
  const ensured = opened.then(async (client) => {
    try {
      await client.ensure(TRIAGE_MODEL, "local-or-latest")
      serving = "sync"
    } catch (e) {
      serving = "bundled"
      statusChannel.postMessage({
        _tag: "CheckFailed",
        message: `no synced ${TRIAGE_MODEL} on this device yet (${messageOf(e)}); running the copy bundled with the page`,
      } satisfies StatusEvent)
    }
    return client
  })

  /** Sync's active version, or the bundled student when sync has none. */
  const sourceOf = (client: SyncClient.PromiseClient): ModelSource.Shape => ({
    resolve: (ref) =>
      client.effect.source
        .resolve(ref)
        .pipe(
          Effect.catch(() =>
            ModelSource.fromPromise(
              ref,
              async () => new Uint8Array(await (await fetch(bundledStudentUrl)).arrayBuffer()),
            ).pipe(Effect.map((bytes) => ({ ...bytes, version: "bundled" }))),
          ),
        ),
    changes: client.effect.source.changes,
  })

  const layer = Layer.unwrap(
    Effect.map(
      Effect.promise(() => ensured),
      (client) =>
        Layer.mergeAll(
          Layer.mergeAll(
            Layer.succeed(ModelSource.ModelSource, sourceOf(client)),
            Layer.effectDiscard(SyncClient.rollBackFailedLoads(client.effect)),
          ).pipe(
            Layer.provideMerge(
              WebBackend.layer({ wasmPaths: { wasm: wasmUrl }, executionProviders: ["wasm"] }),
            ),
          ),
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
  const view = async (client: SyncClient.PromiseClient): Promise<ModelsView> => {
    const state = await client.state()
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

  const control: Control = {
    models: async () => view(await ensured),
    update: async () => {
      const client = await ensured
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
