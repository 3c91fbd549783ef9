/**
 * The device side of sync: keeps the app's models current from a registry
 * without ever breaking the one that works.
 *
 * - `ensure(name, policy)` gives a model under the download policies users
 *   of Firebase ML's model downloader rely on: the local model if present
 *   else the latest (`"local-or-latest"`); the local model now and an
 *   update in the background (`"local-then-update"`); always the latest,
 *   with no download when the local one matches (`"latest"`).
 * - `check()` fetches the channel's manifest (`If-None-Match`), verifies it
 *   (signature, trusted key, expiry, no downgrade), and downloads and
 *   activates what changed for the models the app uses, where the staged
 *   rollout includes this device and the conditions hold. `poll` runs it in
 *   the background with jittered backoff on failure; inference never waits.
 * - Activation is one atomic commit of the store's state, keeping the
 *   previous version; a model that fails the smoke check is not activated,
 *   and `rollback(name)` returns to the previous one.
 * - `source` is the `ModelSource` the pipeline reads: the active version's
 *   verified bytes, and its changes, so running pipelines switch without a
 *   restart (core's model lifecycle).
 */
import { type InferenceBackend, Model, ModelSource } from "@edgeline/core"
import {
  Cause,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  PubSub,
  Queue,
  Scope,
  Semaphore,
  Stream,
  SubscriptionRef,
} from "effect"
import * as Download from "./Download.js"
import {
  DownloadError,
  type IntegrityError,
  type ManifestDowngradeError,
  type ManifestExpiredError,
  type ManifestFormatError,
  type ManifestSignatureError,
  ModelUnavailableError,
  NoPreviousVersionError,
  type StoreError,
} from "./Errors.js"
import { honouring, jittered, retryAfterOf } from "./internal/backoff.js"
import { messageOf } from "./internal/messageOf.js"
import * as Request from "./internal/request.js"
import * as Layout from "./Layout.js"
import type * as Manifest from "./Manifest.js"
import * as Rollout from "./Rollout.js"
import * as Signature from "./Signature.js"
import * as Store from "./Store.js"

export type Policy = "local-or-latest" | "local-then-update" | "latest"

export interface Options {
  /** The registry's base URL (the directory holding channels/ and blobs/). */
  readonly registry: string
  readonly channel: string
  /** The keys whose signatures this device accepts. */
  readonly trusted: ReadonlyArray<Signature.PublicKey>
  /** A stable id of this device: its place in staged rollouts. */
  readonly deviceId: string
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Whether downloading is allowed now (e.g. online and unmetered); checked before each download. */
  readonly conditions?: (() => boolean | Promise<boolean>) | undefined
  /**
   * A check a new version must pass before it is activated (load it, run a
   * smoke input): a failure keeps the current version and is reported.
   */
  readonly smoke?: ((name: string, bytes: Uint8Array) => Promise<void>) | undefined
  /** Longest wait for an answer or for the next bytes of one (default 10 s). */
  readonly stallMs?: number | undefined
  /** Tries per chunk (default 5); each retry resumes. */
  readonly attempts?: number | undefined
  /** First retry delay, doubled each time, with jitter (default 500 ms). */
  readonly retryBaseMs?: number | undefined
  readonly onStatus?: ((status: Status) => void) | undefined
}

export type Status =
  | { readonly _tag: "Checking"; readonly channel: string }
  | { readonly _tag: "UpToDate"; readonly channel: string; readonly version: number }
  | { readonly _tag: "Waiting"; readonly reason: string }
  | ({ readonly _tag: "Downloading" } & Download.Progress)
  | {
      readonly _tag: "Activated"
      readonly model: string
      readonly from?: string | undefined
      readonly to: string
    }
  | {
      readonly _tag: "Rejected"
      readonly model: string
      readonly version: string
      readonly reason: string
    }
  | {
      readonly _tag: "RolledBack"
      readonly model: string
      readonly from: string
      readonly to: string
      /** Why, when the client rolled back by itself. */
      readonly reason?: string | undefined
    }
  | {
      readonly _tag: "CheckFailed"
      readonly error: CheckError
      /** When the next try is, in the background poll. */
      readonly retryInMs?: number | undefined
    }

export type CheckError =
  | DownloadError
  | IntegrityError
  | ManifestFormatError
  | ManifestSignatureError
  | ManifestExpiredError
  | ManifestDowngradeError
  | StoreError

export interface Checked {
  /** The manifest's version, or undefined when the registry answered 304 (nothing new). */
  readonly manifest?: number | undefined
  readonly activated: ReadonlyArray<{ readonly model: string; readonly version: string }>
}

export interface Shape {
  readonly ensure: (
    name: string,
    policy?: Policy,
  ) => Effect.Effect<Store.Installed, ModelUnavailableError | CheckError>
  readonly check: Effect.Effect<Checked, CheckError>
  /** Makes the previous version active again; `reason` is reported in the `RolledBack` status. */
  readonly rollback: (
    name: string,
    reason?: string,
  ) => Effect.Effect<Store.Installed, NoPreviousVersionError | StoreError>
  /** The installed versions, now. */
  readonly state: Effect.Effect<Store.State, StoreError>
  /** Every status from now on. */
  readonly status: Stream.Stream<Status>
  /** Checks every `intervalMs` until the scope closes; failures back off with jitter, up to `maxBackoffMs`. */
  readonly poll: (options: {
    readonly intervalMs: number
    readonly maxBackoffMs?: number | undefined
  }) => Effect.Effect<void, never, Scope.Scope>
  /** The active versions as a `ModelSource`: a pipeline's models, kept current. */
  readonly source: ModelSource.Shape
}

export class SyncClient extends Context.Service<SyncClient, Shape>()("@edgeline/sync/SyncClient") {}

const withSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`)

/** The client over `store`; background work (`local-then-update`, `poll`) ends with the scope. */
export const make = (
  options: Options,
  store: Store.Shape,
): Effect.Effect<Shape, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const http: Download.Http = {
      base: withSlash(options.registry),
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      stallMs: options.stallMs ?? 10_000,
      attempts: options.attempts ?? 5,
      retryBaseMs: options.retryBaseMs ?? 500,
    }
    const installed = yield* SubscriptionRef.make(yield* store.state)
    const statuses = yield* PubSub.unbounded<Status>()
    const emit = (status: Status) =>
      Effect.andThen(
        PubSub.publish(statuses, status),
        Effect.sync(() => options.onStatus?.(status)),
      )
    const scope = yield* Effect.scope
    /** Names the app asked for: `check` keeps these current. */
    const wanted = new Set<string>()
    /** Names a whole manifest was read for in this run: a 304 covers them. */
    const handled = new Set<string>()
    /** Versions (sha256) that failed the smoke check in this run: not tried again. */
    const rejected = new Set<string>()
    /** One check at a time: a poll and an `ensure` share it. */
    const lock = yield* Semaphore.make(1)

    const commit = (update: (state: Store.State) => Store.State) =>
      Effect.gen(function* () {
        const next = update(yield* SubscriptionRef.get(installed))
        yield* store.commit(next)
        yield* SubscriptionRef.set(installed, next)
        return next
      })

    const allowed = Effect.promise(async () => (await options.conditions?.()) ?? true)

    /** The manifest if it changed since the ETag we hold (undefined on 304). */
    const fetchManifest = Effect.gen(function* () {
      const state = yield* SubscriptionRef.get(installed)
      const known = state.channels[options.channel]
      const url = new URL(Layout.manifestPath(options.channel), http.base).href
      // A 304 says only "the manifest handled last time": a model wanted
      // since then, with no version here yet, needs the manifest itself.
      const lacking = [...wanted].some(
        (name) => !handled.has(name) && state.models[name]?.active === undefined,
      )
      const response = yield* Request.request(
        http,
        url,
        known?.etag === undefined || lacking ? {} : { "if-none-match": known.etag },
      )
      if (response.status === 304) return undefined
      if (response.status !== 200) {
        yield* Request.discard(response)
        return yield* new DownloadError({
          message: `${url}: HTTP ${response.status}`,
          url,
          status: response.status,
          permanent: false,
          retryAfterMs: retryAfterOf(response),
        })
      }
      // Read under the stall bound too: a manifest whose body stops coming
      // fails the check after `stallMs`, like a chunk, and the next check retries.
      const text = new TextDecoder().decode(yield* Request.body(http, url, response))
      const json = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () =>
          new DownloadError({
            message: `${url}: not JSON (${text.length} bytes: cut short?)`,
            url,
            permanent: false,
          }),
      })
      const manifest = yield* Signature.verify(json, {
        trusted: options.trusted,
        accepted: known?.accepted,
        channel: options.channel,
      })
      return { manifest, etag: response.headers.get("etag") ?? undefined }
    })

    /** Makes `model` active once its bytes pass the smoke check; the one before becomes previous. */
    const activate = (model: Manifest.Model) =>
      Effect.gen(function* () {
        const bytes = yield* store.readModel(model.sha256)
        if (bytes === undefined) return false
        const smoke = options.smoke
        if (smoke !== undefined) {
          const failed = yield* Effect.tryPromise(() => smoke(model.name, bytes)).pipe(
            Effect.as(undefined),
            Effect.catch((e) => Effect.succeed(messageOf(e.cause ?? e))),
          )
          if (failed !== undefined) {
            rejected.add(model.sha256)
            yield* emit({
              _tag: "Rejected",
              model: model.name,
              version: model.version,
              reason: failed,
            })
            return false
          }
        }
        const current = (yield* SubscriptionRef.get(installed)).models[model.name]?.active
        yield* commit((state) => ({
          ...state,
          models: {
            ...state.models,
            [model.name]: {
              active: {
                version: model.version,
                sha256: model.sha256,
                size: model.size,
                activated: new Date().toISOString(),
                metadata: model.metadata,
              },
              previous: current,
            },
          },
        }))
        yield* emit({
          _tag: "Activated",
          model: model.name,
          from: current?.version,
          to: model.version,
        })
        return true
      })

    /**
     * Downloads and activates `model` if this device should run it and does
     * not yet: "waiting" when the download conditions do not hold now.
     */
    const update = (model: Manifest.Model) =>
      Effect.gen(function* () {
        const current = (yield* SubscriptionRef.get(installed)).models[model.name]
        if (current?.active.sha256 === model.sha256) return "skipped" as const
        // Rolled back from, or failed its smoke check: not again, until another version comes.
        if (current?.refused === model.sha256 || rejected.has(model.sha256)) {
          return "skipped" as const
        }
        if (!(yield* Rollout.includes(model.rollout, options.deviceId))) return "skipped" as const
        if (!(yield* allowed)) {
          yield* emit({ _tag: "Waiting", reason: "the download conditions do not hold" })
          return "waiting" as const
        }
        yield* Download.download(store, http, model, (progress) => {
          const status: Status = { _tag: "Downloading", ...progress }
          PubSub.publishUnsafe(statuses, status)
          options.onStatus?.(status)
        })
        return (yield* activate(model)) ? ("activated" as const) : ("skipped" as const)
      })

    const checkOnce: Effect.Effect<Checked, CheckError> = Semaphore.withPermit(
      lock,
      Effect.gen(function* () {
        yield* emit({ _tag: "Checking", channel: options.channel })
        const fetched = yield* fetchManifest
        if (fetched === undefined) {
          const accepted =
            (yield* SubscriptionRef.get(installed)).channels[options.channel]?.accepted ?? 0
          yield* emit({ _tag: "UpToDate", channel: options.channel, version: accepted })
          return { activated: [] }
        }
        const { manifest, etag } = fetched
        for (const name of wanted) handled.add(name)
        const activated: Array<{ model: string; version: string }> = []
        let waiting = false
        for (const model of manifest.models) {
          if (!wanted.has(model.name)) continue
          const outcome = yield* update(model)
          if (outcome === "activated") activated.push({ model: model.name, version: model.version })
          waiting ||= outcome === "waiting"
        }
        // Garbage goes before the ETag is kept: a check cut short in between
        // reads the manifest again (no 304) and collects then.
        const keep = new Set(manifest.models.flatMap((m) => m.chunks.map((c) => c.sha256)))
        yield* store.collect(keep)
        // Accepted (and its ETag kept) only once every wanted model is handled:
        // a cut download is retried on the next check, not skipped as "not
        // modified"; one waiting for its conditions is asked for again too.
        yield* commit((state) => ({
          ...state,
          channels: {
            ...state.channels,
            [options.channel]: { accepted: manifest.version, etag: waiting ? undefined : etag },
          },
        }))
        if (activated.length === 0) {
          yield* emit({ _tag: "UpToDate", channel: options.channel, version: manifest.version })
        }
        return { manifest: manifest.version, activated }
      }),
    )
    // A check asked for reports its failure on the status stream too; the
    // poll reports its own, with when it tries again.
    const check = Effect.tapError(checkOnce, (error) => emit({ _tag: "CheckFailed", error }))

    const activeOf = (name: string) =>
      Effect.map(SubscriptionRef.get(installed), (state) => state.models[name]?.active)

    const unavailable = (name: string, why: string) =>
      new ModelUnavailableError({
        model: name,
        message: `no version of "${name}" is on this device and ${why}`,
      })

    const ensure = (name: string, policy: Policy = "local-or-latest") =>
      Effect.gen(function* () {
        wanted.add(name)
        const local = yield* activeOf(name)
        if (local !== undefined && policy === "local-or-latest") return local
        if (local !== undefined && policy === "local-then-update") {
          yield* Effect.forkIn(Effect.ignore(check), scope)
          return local
        }
        const checked = yield* Effect.result(check)
        const now = yield* activeOf(name)
        if (now !== undefined) return now
        if (checked._tag === "Failure") {
          return yield* Effect.fail(checked.failure)
        }
        return yield* unavailable(
          name,
          `the registry's "${options.channel}" channel has none for it (or not yet for this device, or its download conditions do not hold now)`,
        )
      })

    const rollback = (name: string, reason?: string) =>
      Effect.gen(function* () {
        const model = (yield* SubscriptionRef.get(installed)).models[name]
        if (model?.previous === undefined) {
          return yield* new NoPreviousVersionError({
            model: name,
            message: `"${name}" has no previous version on this device to roll back to`,
          })
        }
        const { active, previous } = model
        yield* commit((state) => ({
          ...state,
          models: { ...state.models, [name]: { active: previous, refused: active.sha256 } },
        }))
        yield* emit({
          _tag: "RolledBack",
          model: name,
          from: active.version,
          to: previous.version,
          reason,
        })
        return previous
      })

    const poll = (pollOptions: {
      readonly intervalMs: number
      readonly maxBackoffMs?: number | undefined
    }) =>
      Effect.gen(function* () {
        const maxBackoff = pollOptions.maxBackoffMs ?? 15 * 60_000
        let failures = 0
        const loop = Effect.gen(function* () {
          while (true) {
            const exit = yield* Effect.exit(checkOnce)
            let wait = pollOptions.intervalMs
            if (Exit.isFailure(exit)) {
              // A defect too (a bug, a store that threw) fails one check, never the poll.
              const error = Cause.findErrorOption(exit.cause)
              if (Exit.hasInterrupts(exit) && error._tag === "None") return
              failures++
              const failure: CheckError =
                error._tag === "Some"
                  ? error.value
                  : new DownloadError({
                      message: `the check failed unexpectedly: ${messageOf(Cause.squash(exit.cause))}`,
                      url: http.base,
                      permanent: false,
                    })
              const asked = failure._tag === "DownloadError" ? failure.retryAfterMs : undefined
              wait = honouring(jittered(failures, http.retryBaseMs, maxBackoff), asked, maxBackoff)
              yield* emit({ _tag: "CheckFailed", error: failure, retryInMs: wait })
            } else {
              failures = 0
            }
            yield* Effect.sleep(Duration.millis(wait))
          }
        })
        yield* Effect.forkScoped(loop)
      })

    const source: ModelSource.Shape = {
      resolve: (ref) =>
        Effect.gen(function* () {
          const active = yield* activeOf(ref.name)
          if (active === undefined) {
            return yield* ModelSource.notFound(
              ref,
              "sync has no version of it on this device; call ensure() first",
            )
          }
          const bytes = yield* store
            .readModel(active.sha256)
            .pipe(Effect.mapError((e) => ModelSource.notFound(ref, e.message)))
          if (bytes === undefined) {
            return yield* ModelSource.notFound(
              ref,
              `version ${active.version} is missing from the store`,
            )
          }
          return { ref, bytes, sha256: active.sha256, version: active.version }
        }),
      changes: (ref) =>
        SubscriptionRef.changes(installed).pipe(
          Stream.map((state) => state.models[ref.name]?.active),
          Stream.filter((active): active is Store.Installed => active !== undefined),
          Stream.changesWith((a, b) => a.sha256 === b.sha256),
          Stream.map((active) => ({ model: ref.name, version: active.version })),
        ),
    }

    yield* Effect.addFinalizer(() => PubSub.shutdown(statuses))
    return {
      ensure,
      check,
      rollback,
      state: SubscriptionRef.get(installed),
      status: Stream.fromPubSub(statuses),
      poll,
      source,
    } satisfies Shape
  })

/** The client as a service, and its `source` as the `ModelSource`, over the `Store` in context. */
export const layer = (
  options: Options,
): Layer.Layer<SyncClient | ModelSource.ModelSource, StoreError, Store.Store> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const client = yield* make(options, yield* Store.Store)
      return Context.make(SyncClient, client).pipe(
        Context.add(ModelSource.ModelSource, client.source),
      )
    }),
  )

/**
 * Rolls a model back by itself when the version this client activated fails
 * to load in a running pipeline on `backend` (core's `SwapFailed` event):
 * the pipeline keeps serving the version before it, and the store makes
 * that one active again, so the next start does not load the broken one
 * either. Runs until the scope closes.
 */
export const rollBackFailedLoads = <Id = InferenceBackend.InferenceBackend>(
  client: Shape,
  backend?: InferenceBackend.Key<Id>,
): Effect.Effect<void, never, Id | Scope.Scope> =>
  Effect.gen(function* () {
    const failed = yield* Queue.unbounded<Extract<Model.Event, { _tag: "SwapFailed" }>>()
    const listener = (event: Model.Event) => {
      if (event._tag === "SwapFailed") Queue.offerUnsafe(failed, event)
    }
    const unwatch = yield* (
      backend === undefined ? Model.watch(listener) : Model.watch(listener, backend)
    ) as Effect.Effect<() => void, never, Id>
    yield* Effect.addFinalizer(() => Effect.sync(unwatch))
    const handle = (event: Extract<Model.Event, { _tag: "SwapFailed" }>) =>
      Effect.gen(function* () {
        const active = (yield* client.state).models[event.model]?.active
        // Only the version this client made active: an older failure is history.
        if (active === undefined || active.version !== event.version) return
        yield* client.rollback(
          event.model,
          `version ${active.version} failed to load: ${event.error.message}`,
        )
      }).pipe(Effect.ignore)
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(failed), handle)))
  })

/**
 * The client's `source` as the pipeline's `ModelSource`, with
 * `rollBackFailedLoads` on the runtime's backend: give it the runtime's
 * Layer (`SyncClient.pipelineLayer(client).pipe(Layer.provideMerge(NodeRuntime.layer()))`).
 */
export const pipelineLayer = (
  client: Shape,
): Layer.Layer<ModelSource.ModelSource, never, InferenceBackend.InferenceBackend> =>
  Layer.merge(
    Layer.succeed(ModelSource.ModelSource, client.source),
    Layer.effectDiscard(rollBackFailedLoads(client)),
  )

/** The client with Promises, for code that does not use Effect; failures reject with the typed errors. */
export interface PromiseClient {
  readonly ensure: (name: string, policy?: Policy) => Promise<Store.Installed>
  readonly check: () => Promise<Checked>
  readonly rollback: (name: string, reason?: string) => Promise<Store.Installed>
  readonly state: () => Promise<Store.State>
  /** Checks every `intervalMs` in the background until `close`; failures back off with jitter. */
  readonly poll: (options: { readonly intervalMs: number; readonly maxBackoffMs?: number }) => void
  /** Calls `listener` with every status from now on; returns the unsubscribe. */
  readonly onStatus: (listener: (status: Status) => void) => () => void
  /** The Effect client, e.g. for `pipelineLayer`. */
  readonly effect: Shape
  /** Stops background work (polls, `local-then-update` downloads) and closes what opening the store held (a BrowserStore's database). */
  readonly close: () => Promise<void>
}

/**
 * `make` with Promises. `store` is a store (`MemoryStore.make()`) or the
 * Effect that opens one (`FileStore.make(dir)`, `BrowserStore.make()`),
 * closed with the client.
 */
export const open = async (
  options: Options,
  store: Store.Shape | Effect.Effect<Store.Shape, StoreError, Scope.Scope>,
): Promise<PromiseClient> => {
  const scope = await Effect.runPromise(Scope.make())
  const listeners = new Set<(status: Status) => void>()
  const opened = Effect.gen(function* () {
    const shape = Effect.isEffect(store) ? yield* store : store
    return yield* make(
      {
        ...options,
        onStatus: (status) => {
          options.onStatus?.(status)
          for (const listener of listeners) listener(status)
        },
      },
      shape,
    )
  })
  const client = await Effect.runPromise(Scope.provide(scope)(opened)).catch(async (e) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  })
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
  return {
    ensure: (name, policy) => run(client.ensure(name, policy)),
    check: () => run(client.check),
    rollback: (name, reason) => run(client.rollback(name, reason)),
    state: () => run(client.state),
    poll: (pollOptions) => {
      Effect.runFork(Scope.provide(scope)(client.poll(pollOptions)))
    },
    onStatus: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    effect: client,
    close: () => run(Scope.close(scope, Exit.void)),
  }
}
