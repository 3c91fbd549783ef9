/**
 * What `InferenceBackend.make` derives from an adapter's `load → { run,
 * release }`: the session cache, leases, in-flight counting, warm-up, typed
 * errors and warnings. Every backend gets them the same way, so an adapter
 * is only the engine's own calls.
 */
import { Effect, type Scope } from "effect"
import { InferenceError, ModelLoadError, messageOf } from "../Errors.js"
import type {
  Adapter,
  Capabilities,
  Loaded,
  ModelInput,
  NeutralOption,
  Session,
  SessionOptions,
  Shape,
  StepLoop,
  StepsDone,
  Warning,
} from "../InferenceBackend.js"
import type * as ModelRef from "../ModelRef.js"
import * as Tensor from "../Tensor.js"
import { scopes } from "./backendScope.js"
import { sha256Hex } from "./contentHash.js"
import { InFlight } from "./inFlight.js"
import { stepsByRun } from "./stepsByRun.js"

const capabilitiesOf = (given: Adapter["capabilities"]): Capabilities => ({
  batching: false,
  recurrentSteps: false,
  dtypes: Tensor.dtypes,
  options: ["warmup"],
  ...given,
})

/** The session options that make a different session: the neutral ones and this backend's own bag. */
const settingsKey = (name: string, options: SessionOptions): string =>
  JSON.stringify([
    options.threads ?? null,
    options.device ?? null,
    !!options.warmup,
    options.backendOptions?.[name] ?? null,
  ])

const isBytes = (model: ModelInput): model is ModelRef.ModelBytes =>
  (model as ModelRef.ModelBytes).bytes instanceof Uint8Array

const refOf = (model: ModelInput): ModelRef.ModelRef =>
  isBytes(model) ? model.ref : (model as ModelRef.ModelRef)

/** A neutral option set but not honoured by this backend. */
const ignoredOptions = (
  name: string,
  honoured: ReadonlyArray<NeutralOption>,
  options: SessionOptions,
): Array<Warning> => {
  const set: Array<[NeutralOption, unknown]> = [
    ["threads", options.threads],
    ["device", options.device === "auto" ? undefined : options.device],
    ["warmup", options.warmup || undefined],
  ]
  return set
    .filter(([option, value]) => value !== undefined && !honoured.includes(option))
    .map(([option, value]) => ({
      setting: option,
      // Warm-up feeds are tensors (an int64 one does not even stringify): named, not printed.
      message: `${name} does not apply the "${option}" option (${typeof value === "object" ? "feeds given" : JSON.stringify(value)}); it runs as if it were not set`,
    }))
}

/** Zeros shaped from an input's declared dims, symbolic ones taken as 1. */
const zerosFor = (input: NonNullable<Loaded["inputs"]>[number]): Tensor.Tensor =>
  Tensor.zeros(
    input.dtype,
    input.dims.map((d) => (typeof d === "number" && d >= 0 ? d : 1)),
  )

/** The model loaded but its warm-up run failed. */
class WarmupError extends Error {}

/** The backend's scope closed before or while the model loaded. */
class ClosedError extends Error {}

interface Entry {
  readonly key: string
  readonly ready: Promise<Session>
  /** Set once loaded: what to release. */
  loaded: Loaded | undefined
  readonly inFlight: InFlight
  leases: number
  /** Set when its release begins: runs already in flight finish, new ones are refused. */
  released: boolean
}

export const make = <M extends "bytes" | "ref">(
  adapter: Adapter<M>,
): Effect.Effect<Shape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { name } = adapter
    const capabilities = capabilitiesOf(adapter.capabilities)
    const hash = adapter.hash ?? sha256Hex
    const entries = new Map<string, Entry>()
    /** Every entry not yet released, including ones dropped from `entries` while their runs finish. */
    const live = new Set<Entry>()
    let closed = false

    const release = async (entry: Entry) => {
      if (!live.delete(entry)) return
      entry.released = true
      await entry.ready.catch(() => undefined)
      await entry.inFlight.drained()
      await entry.loaded?.release().catch(() => undefined)
      entry.loaded = undefined
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        // A load or a run cut short by interruption may still be inside the engine.
        await Promise.allSettled([...live].map(release))
        entries.clear()
      }),
    )

    const wrap = (
      ref: ModelRef.ModelRef,
      version: string | undefined,
      loaded: Loaded,
      entry: Entry,
      warnings: Array<Warning>,
    ) => {
      const provider = loaded.provider ?? name
      const { inFlight } = entry
      const failure = (e: unknown) =>
        e instanceof InferenceError
          ? e
          : new InferenceError({
              model: ref.name,
              message: `running "${ref.name}" on ${provider} failed: ${messageOf(e)}; check the input names, dims and dtypes (inputs: ${loaded.inputNames.join(", ")})`,
            })
      const releasedError = () =>
        new InferenceError({
          model: ref.name,
          message: `the session of "${ref.name}" was released (a newer version serves, or the runtime closed); hold one with Model.session in a scope, or run through a stage`,
        })
      const failed = (e: unknown): never => {
        inFlight.leave()
        throw failure(e)
      }
      const done = (outputs: Tensor.Feeds): Tensor.Feeds => {
        inFlight.leave()
        return outputs
      }
      const stepsDone = (result: StepsDone): StepsDone => {
        inFlight.leave()
        return result
      }
      const stepsFailed = (e: unknown): never => {
        inFlight.leave()
        throw e
      }
      // No async function and no extra promise: this runs once per frame in a per-frame loop.
      const runPromise = (feeds: Tensor.Feeds): Promise<Tensor.Feeds> => {
        if (entry.released) return Promise.reject(releasedError())
        inFlight.enter()
        try {
          return loaded.run(feeds).then(done, failed)
        } catch (e) {
          inFlight.leave()
          return Promise.reject(failure(e))
        }
      }
      // The caller's own `prepare` and `read` errors pass as they are; only the
      // engine's are typed: a native loop hands them to `failure` itself, so no
      // wrapper runs per step.
      const native = loaded.runSteps
      const steps =
        native === undefined
          ? stepsByRun((feeds) =>
              loaded.run(feeds).catch((e: unknown) => {
                throw failure(e)
              }),
            )
          : (loop: StepLoop) => native(loop, failure)
      const session: Session = {
        model: ref.name,
        version: loaded.version ?? version ?? ref.version,
        inputNames: loaded.inputNames,
        outputNames: loaded.outputNames,
        signature: loaded.signature,
        provider,
        warnings,
        runPromise,
        // As `runPromise`: no async function, one promise; a live stream calls this once per push.
        runSteps: (loop) => {
          if (entry.released) return Promise.reject(releasedError())
          inFlight.enter()
          let running: Promise<StepsDone>
          try {
            running = steps(loop)
          } catch (e) {
            inFlight.leave()
            return Promise.reject(e)
          }
          return running.then(stepsDone, stepsFailed)
        },
        run: (feeds) =>
          Effect.tryPromise({ try: () => runPromise(feeds), catch: (e) => e as InferenceError }),
      }
      return session
    }

    const warmUp = async (session: Session, loaded: Loaded, warmup: SessionOptions["warmup"]) => {
      if (!warmup) return
      const zeros = warmup === true
      try {
        const feeds = zeros
          ? Object.fromEntries((loaded.inputs ?? []).map((input) => [input.name, zerosFor(input)]))
          : (warmup as Tensor.Feeds)
        await session.runPromise(feeds)
      } catch (e) {
        throw new WarmupError(
          `${messageOf(e)}${zeros ? "; `warmup: true` feeds zeros with symbolic dims as 1, which this model rejects: pass the warm-up feeds instead" : ""}`,
        )
      }
    }

    const create = async (
      model: ModelInput,
      options: SessionOptions,
      entry: Entry,
    ): Promise<Session> => {
      const ref = refOf(model)
      const input =
        capabilities.modelInput === "ref"
          ? ref
          : isBytes(model)
            ? model
            : (() => {
                throw new Error(
                  `${name} loads model bytes, and it was given only the reference (${ref.uri}); provide a ModelSource`,
                )
              })()
      const loaded = await adapter.load(input as never, {
        ...options,
        own: options.backendOptions?.[name] ?? {},
      })
      if (closed) {
        // The finalizer has run, or is waiting for this very load: free the session here.
        live.delete(entry)
        await loaded.release().catch(() => undefined)
        throw new ClosedError("the runtime was closed while the model was loading")
      }
      entry.loaded = loaded
      const warnings = [
        ...ignoredOptions(name, capabilities.options, options),
        ...(loaded.warnings ?? []),
      ]
      const session = wrap(ref, isBytes(model) ? model.version : undefined, loaded, entry, warnings)
      if (capabilities.options.includes("warmup")) await warmUp(session, loaded, options.warmup)
      return session
    }

    const keyOf = async (model: ModelInput, options: SessionOptions): Promise<string> => {
      const settings = settingsKey(name, options)
      if (capabilities.modelInput === "ref" || !isBytes(model)) {
        // The engine resolves the ref by name and version: a pinned hash does not make two names one model.
        const ref = refOf(model)
        return `${ref.name}@${ref.version ?? "?"}:${ref.uri}|${settings}`
      }
      return `sha256:${model.sha256?.toLowerCase() ?? (await hash(model.bytes))}|${settings}`
    }

    /** Takes a lease on the entry for this key, starting the load if nobody has. */
    const lease = (key: string, model: ModelInput, options: SessionOptions): Entry => {
      let entry = entries.get(key)
      if (entry === undefined) {
        const fresh: Entry = {
          key,
          ready: undefined as never,
          loaded: undefined,
          inFlight: new InFlight(),
          leases: 0,
          released: false,
        }
        ;(fresh as { ready: Promise<Session> }).ready = create(model, options, fresh)
        // A failed load is forgotten at once, so the next caller tries again.
        fresh.ready.catch(() => {
          if (entries.get(key) === fresh) entries.delete(key)
          void release(fresh)
        })
        entries.set(key, fresh)
        live.add(fresh)
        entry = fresh
      }
      entry.leases++
      return entry
    }

    const unlease = (entry: Entry): Promise<void> => {
      if (--entry.leases > 0) return Promise.resolve()
      if (entries.get(entry.key) === entry) entries.delete(entry.key)
      return release(entry)
    }

    const loadError = (ref: ModelRef.ModelRef, e: unknown) =>
      new ModelLoadError({
        model: ref.name,
        message:
          e instanceof WarmupError
            ? `warming up "${ref.name}" (${ref.uri}) failed: ${e.message}`
            : e instanceof ClosedError
              ? `loading "${ref.name}" stopped: ${e.message}`
              : `loading "${ref.name}" (${ref.uri}) into ${name} failed: ${messageOf(e)}`,
      })

    const backendScope = yield* Effect.scope
    const shape: Shape = {
      specificationVersion: "v1",
      name,
      capabilities,
      load: (model, options = {}) =>
        Effect.gen(function* () {
          const ref = refOf(model)
          if (closed)
            return yield* Effect.fail(loadError(ref, new ClosedError("the runtime is closed")))
          const key = yield* Effect.tryPromise({
            try: () => keyOf(model, options),
            catch: (e) => loadError(ref, e),
          })
          // Hashing is asynchronous: the backend may have closed meanwhile.
          if (closed)
            return yield* Effect.fail(loadError(ref, new ClosedError("the runtime is closed")))
          // The lease is taken and given back uninterruptibly; the wait for the load is not.
          const entry = yield* Effect.acquireRelease(
            Effect.sync(() => lease(key, model, options)),
            (entry) => Effect.promise(() => unlease(entry)),
          )
          return yield* Effect.tryPromise({
            try: () => entry.ready,
            catch: (e) => loadError(ref, e),
          })
        }),
    }
    scopes.set(shape, backendScope)
    return shape
  })
