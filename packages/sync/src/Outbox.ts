/**
 * The telemetry outbox: core's `Telemetry` as a durable, bounded queue that
 * uploads in batches when it can. Every event is kept (persisted before
 * `record` returns) until the server acknowledged it, so delivery is at
 * least once; each event's id is its idempotency key, so the server counts
 * a retried batch once. Failed uploads back off with jitter.
 *
 * Bounded: when full, samples go first (the oldest), and counters are
 * never dropped: counters of one name and attributes are summed into one
 * event instead, so every count still arrives.
 */
import { Telemetry } from "@edgeline/core"
import { Duration, Effect, Ref, type Scope, Semaphore } from "effect"
import { type StoreError, UploadError } from "./Errors.js"
import { jittered } from "./internal/backoff.js"
import { messageOf } from "./internal/messageOf.js"

/** Where the queue lives between runs (a file, IndexedDB, memory). */
export interface Storage {
  /** Every event held, oldest first. */
  readonly load: Effect.Effect<ReadonlyArray<Telemetry.Event>, StoreError>
  readonly add: (events: ReadonlyArray<Telemetry.Event>) => Effect.Effect<void, StoreError>
  readonly remove: (ids: ReadonlyArray<string>) => Effect.Effect<void, StoreError>
  /** Replaces everything (after counters were summed or samples dropped). */
  readonly replace: (events: ReadonlyArray<Telemetry.Event>) => Effect.Effect<void, StoreError>
}

export interface Options {
  /** The ingest URL, e.g. http://127.0.0.1:8787/v1/telemetry. */
  readonly endpoint: string
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string | undefined
  readonly deviceId: string
  readonly storage: Storage
  /** Most events held (default 10 000). */
  readonly capacity?: number | undefined
  /** Most events per upload (default 500). */
  readonly batchSize?: number | undefined
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Longest wait for the server's answer (default 15 s). */
  readonly timeoutMs?: number | undefined
}

export interface Stats {
  readonly queued: number
  readonly uploaded: number
  readonly droppedSamples: number
  readonly summedCounters: number
}

export interface Outbox {
  /** Give this to pipelines as their `Telemetry`. */
  readonly telemetry: Telemetry.Shape
  /** Uploads everything queued, batch by batch; stops at the first failure. */
  readonly flush: Effect.Effect<number, UploadError | StoreError>
  /** Flushes every `intervalMs` until the scope closes; failures back off with jitter. */
  readonly run: (options: {
    readonly intervalMs: number
    readonly retryBaseMs?: number | undefined
    readonly maxBackoffMs?: number | undefined
  }) => Effect.Effect<void, never, Scope.Scope>
  readonly stats: Effect.Effect<Stats>
}

const counterKey = (e: Telemetry.Event) =>
  `${e.name}\u0000${JSON.stringify(Object.entries(e.attributes ?? {}).sort())}`

/**
 * Fits `events` into `capacity`: drops the oldest samples first, then sums
 * counters of one name and attributes (into the oldest of them). Events in
 * `untouchable` (being uploaded) are kept as they are.
 */
export const bound = (
  events: ReadonlyArray<Telemetry.Event>,
  capacity: number,
  untouchable: ReadonlySet<string> = new Set(),
): { kept: Array<Telemetry.Event>; droppedSamples: number; summedCounters: number } => {
  let kept = [...events]
  let droppedSamples = 0
  let summedCounters = 0
  if (kept.length <= capacity) return { kept, droppedSamples, summedCounters }
  const droppable = (e: Telemetry.Event) => e.kind === "sample" && !untouchable.has(e.id)
  const dropSamples = Math.min(kept.filter(droppable).length, kept.length - capacity)
  if (dropSamples > 0) {
    let left = dropSamples
    kept = kept.filter((e) => !(droppable(e) && left-- > 0))
    droppedSamples = dropSamples
  }
  if (kept.length > capacity) {
    const firstOf = new Map<string, number>()
    const summed: Array<Telemetry.Event> = []
    for (const event of kept) {
      if (event.kind !== "counter" || untouchable.has(event.id)) {
        summed.push(event)
        continue
      }
      const key = counterKey(event)
      const at = firstOf.get(key)
      if (at === undefined) {
        firstOf.set(key, summed.length)
        summed.push(event)
      } else {
        const first = summed[at]!
        summed[at] = { ...first, value: (first.value ?? 1) + (event.value ?? 1) }
        summedCounters++
      }
    }
    kept = summed
  }
  return { kept, droppedSamples, summedCounters }
}

export const make = (options: Options): Effect.Effect<Outbox, StoreError> =>
  Effect.gen(function* () {
    const capacity = options.capacity ?? 10_000
    const batchSize = options.batchSize ?? 500
    const fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    const queue = yield* Ref.make<ReadonlyArray<Telemetry.Event>>(yield* options.storage.load)
    const stats = yield* Ref.make({ uploaded: 0, droppedSamples: 0, summedCounters: 0 })
    /** Queue changes take turns (each persisted as it happens); an upload holds the lock only around them. */
    const lock = yield* Semaphore.make(1)
    const guarded = <A, E>(effect: Effect.Effect<A, E>) => Semaphore.withPermit(lock, effect)
    /** One upload at a time; its events are neither dropped nor summed while in flight. */
    const uploading = yield* Semaphore.make(1)
    let inFlight: ReadonlySet<string> = new Set()

    const record = (input: Telemetry.Input) =>
      guarded(
        Effect.gen(function* () {
          const event = Telemetry.complete(input)
          const events = [...(yield* Ref.get(queue)), event]
          if (events.length <= capacity) {
            yield* options.storage.add([event])
            yield* Ref.set(queue, events)
            return
          }
          const bounded = bound(events, capacity, inFlight)
          yield* options.storage.replace(bounded.kept)
          yield* Ref.set(queue, bounded.kept)
          yield* Ref.update(stats, (s) => ({
            ...s,
            droppedSamples: s.droppedSamples + bounded.droppedSamples,
            summedCounters: s.summedCounters + bounded.summedCounters,
          }))
        }),
      ).pipe(
        // Reporting never fails the caller: a storage failure is logged, and the event lost.
        Effect.catchCause((cause) =>
          Effect.logWarning("telemetry: could not queue an event", cause),
        ),
      )

    const upload = (batch: ReadonlyArray<Telemetry.Event>) =>
      Effect.gen(function* () {
        const response = yield* Effect.tryPromise({
          try: (signal) =>
            fetch(options.endpoint, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "idempotency-key": `${batch[0]!.id}..${batch.at(-1)!.id}`,
                ...(options.token === undefined
                  ? {}
                  : { authorization: `Bearer ${options.token}` }),
              },
              body: JSON.stringify({ deviceId: options.deviceId, events: batch }),
              signal,
            }),
          catch: (e) => new UploadError({ message: `${options.endpoint}: ${messageOf(e)}` }),
        }).pipe(
          Effect.timeoutOrElse({
            duration: Duration.millis(options.timeoutMs ?? 15_000),
            orElse: () =>
              Effect.fail(new UploadError({ message: `${options.endpoint}: no answer` })),
          }),
        )
        yield* Effect.promise(() => response.arrayBuffer().catch(() => undefined))
        if (!response.ok) {
          return yield* new UploadError({
            message: `${options.endpoint}: HTTP ${response.status}${response.status === 401 ? " (check the token)" : ""}`,
            status: response.status,
          })
        }
      })

    const flushOnce = Semaphore.withPermit(
      uploading,
      Effect.gen(function* () {
        const batch = (yield* Ref.get(queue)).slice(0, batchSize)
        if (batch.length === 0) return 0
        const sent = new Set(batch.map((e) => e.id))
        inFlight = sent
        yield* upload(batch)
        yield* guarded(
          Effect.gen(function* () {
            yield* options.storage.remove([...sent])
            yield* Ref.update(queue, (events) => events.filter((e) => !sent.has(e.id)))
          }),
        )
        yield* Ref.update(stats, (s) => ({ ...s, uploaded: s.uploaded + batch.length }))
        return batch.length
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            inFlight = new Set()
          }),
        ),
      ),
    )

    const flush = Effect.gen(function* () {
      let total = 0
      while (true) {
        const sent = yield* flushOnce
        total += sent
        if (sent === 0) return total
      }
    })

    const run: Outbox["run"] = (runOptions) =>
      Effect.asVoid(
        Effect.forkScoped(
          Effect.gen(function* () {
            let failures = 0
            while (true) {
              const result = yield* Effect.result(flush)
              let wait = runOptions.intervalMs
              if (result._tag === "Failure") {
                failures++
                wait = jittered(
                  failures,
                  runOptions.retryBaseMs ?? 1000,
                  runOptions.maxBackoffMs ?? 5 * 60_000,
                )
              } else {
                failures = 0
              }
              yield* Effect.sleep(Duration.millis(wait))
            }
          }),
        ),
      )

    return {
      telemetry: { record },
      flush,
      run,
      stats: Effect.map(Effect.all([Ref.get(queue), Ref.get(stats)]), ([events, s]) => ({
        queued: events.length,
        ...s,
      })),
    }
  })

/** Storage in memory: the queue lives as long as the process. */
export const memoryStorage = (): Storage => {
  let events: ReadonlyArray<Telemetry.Event> = []
  return {
    load: Effect.sync(() => events),
    add: (added) =>
      Effect.sync(() => {
        events = [...events, ...added]
      }),
    remove: (ids) =>
      Effect.sync(() => {
        const gone = new Set(ids)
        events = events.filter((e) => !gone.has(e.id))
      }),
    replace: (next) =>
      Effect.sync(() => {
        events = [...next]
      }),
  }
}
