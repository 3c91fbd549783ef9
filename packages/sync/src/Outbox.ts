/**
 * The telemetry outbox: core's `Telemetry` as a durable, bounded queue that
 * uploads in batches when it can. Every event is kept (persisted before
 * `record` returns) until the server acknowledged it, so delivery is at
 * least once; the server stores each event id once, so a retried batch is
 * counted once (and a batch's `Idempotency-Key` is the hash of its ids).
 * Failed uploads back off with jitter.
 *
 * Events recorded together share their write to storage (see
 * internal/GroupCommit): the cost of durability is one flush per group,
 * not per event. Every operation on the queue costs the size of what it
 * touches, not of the queue.
 *
 * Bounded: when full, samples go first (the oldest), and counters are
 * never dropped: counters of one name and attributes are summed into one
 * event instead, so every count still arrives. A counter the server may
 * hold already (sent without an answer, or left by an earlier run) is not
 * summed into, since the server would take the sum for a duplicate.
 */
import { Telemetry } from "@edgeline/core"
import { Duration, Effect, type Scope, Semaphore } from "effect"
import * as Content from "./Content.js"
import { type StoreError, UploadError } from "./Errors.js"
import { honouring, jittered, retryAfterOf } from "./internal/backoff.js"
import * as GroupCommit from "./internal/GroupCommit.js"
import { messageOf } from "./internal/messageOf.js"
import { discard } from "./internal/request.js"

/**
 * Where the queue lives between runs (a file, IndexedDB, memory). Each
 * call is durable when it returns. The outbox makes one call at a time, and
 * the events recorded while one is under way come in the next `add`.
 */
export interface Storage {
  /** Every event held, oldest first. */
  readonly load: Effect.Effect<ReadonlyArray<Telemetry.Event>, StoreError>
  readonly add: (events: ReadonlyArray<Telemetry.Event>) => Effect.Effect<void, StoreError>
  readonly remove: (ids: ReadonlyArray<string>) => Effect.Effect<void, StoreError>
  /** Replaces everything (after counters were summed). */
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
 * `untouchable` (being uploaded, or maybe delivered) are kept as they are,
 * so the result may stay over `capacity`.
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
    // The queue in memory, oldest first; its changes are made in synchronous
    // steps (no other fiber runs in between) and handed to storage in the
    // same step, so storage sees them in the same order.
    const queue = new Map<string, Telemetry.Event>()
    /** The ids of queued samples, oldest first: who goes when the queue is full. */
    const samples = new Set<string>()
    const put = (event: Telemetry.Event) => {
      queue.set(event.id, event)
      if (event.kind === "sample") samples.add(event.id)
      else samples.delete(event.id)
    }
    const take = (id: string) => {
      queue.delete(id)
      samples.delete(id)
      maybeDelivered.delete(id)
    }
    const loaded = yield* options.storage.load
    for (const event of loaded) put(event)
    /**
     * Queued events the server may hold already: sent without an answer, or
     * left by an earlier run (which may have sent them). A counter among
     * them is never summed into: the server stores an id once, so a sum
     * under a delivered id would be lost. Gone once acknowledged.
     */
    const maybeDelivered = new Set(loaded.map((event) => event.id))
    /** The events of the upload under way: neither dropped nor summed. */
    let inFlight: ReadonlySet<string> = new Set()
    let droppedSamples = 0
    let summedCounters = 0
    let uploaded = 0
    /** Summing is tried again only once the queue has grown by a tenth (it reads the whole queue). */
    let sumAt = capacity
    const commits = yield* GroupCommit.make(options.storage)
    /** One upload at a time. */
    const uploading = yield* Semaphore.make(1)

    /** Puts `event` in the queue, keeping the bound; returns the change for storage. */
    const admit = (event: Telemetry.Event): ReadonlyArray<GroupCommit.Change> => {
      if (queue.size < capacity || queue.has(event.id)) {
        // Below the bound again: the next time it is full, summing may help again.
        if (queue.size < capacity) sumAt = capacity
        put(event)
        return [{ add: [event] }]
      }
      // Full: the oldest sample not being uploaded goes (the new one, if it is the only one).
      for (const id of samples) {
        if (inFlight.has(id)) continue
        take(id)
        put(event)
        droppedSamples++
        return [{ remove: [id] }, { add: [event] }]
      }
      if (event.kind === "sample") {
        droppedSamples++
        return []
      }
      if (queue.size >= sumAt) {
        const bounded = bound([...queue.values(), event], capacity, maybeDelivered)
        sumAt =
          bounded.kept.length > capacity ? bounded.kept.length + Math.ceil(capacity / 10) : capacity
        if (bounded.summedCounters > 0) {
          queue.clear()
          samples.clear()
          for (const kept of bounded.kept) put(kept)
          for (const id of maybeDelivered) if (!queue.has(id)) maybeDelivered.delete(id)
          summedCounters += bounded.summedCounters
          return [{ replace: bounded.kept }]
        }
      }
      // Counters are never dropped: past the bound rather than lost.
      put(event)
      return [{ add: [event] }]
    }

    const record = (input: Telemetry.Input) =>
      Effect.suspend(() => commits.submit(admit(Telemetry.complete(input)))).pipe(
        // Reporting never fails the caller: a storage failure is logged, and
        // the event is kept in memory only (uploaded if this process lives).
        Effect.catchCause((cause) =>
          Effect.logWarning("telemetry: could not store an event on disk", cause),
        ),
      )

    const upload = (batch: ReadonlyArray<Telemetry.Event>) =>
      Effect.gen(function* () {
        // The key names the batch by its ids: a batch retried after a cut
        // has the same key, a batch of other events another one.
        const key = yield* Content.sha256(
          new TextEncoder().encode(batch.map((e) => e.id).join("\n")),
        )
        const response = yield* Effect.tryPromise({
          try: (signal) =>
            fetch(options.endpoint, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "idempotency-key": `sha256:${key}`,
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
        // The status is the answer (the ingest stores before it answers 2xx);
        // the body is only counts: dropped unread, so an answer whose body
        // stalls (past the timeout, which ends with the headers) holds nothing up.
        yield* discard(response)
        if (!response.ok) {
          return yield* new UploadError({
            message: `${options.endpoint}: HTTP ${response.status}${response.status === 401 ? " (check the token)" : ""}`,
            status: response.status,
            retryAfterMs: retryAfterOf(response),
          })
        }
      })

    const flushOnce = Semaphore.withPermit(
      uploading,
      Effect.gen(function* () {
        const batch: Array<Telemetry.Event> = []
        for (const event of queue.values()) {
          if (batch.length === batchSize) break
          batch.push(event)
        }
        if (batch.length === 0) return 0
        const sent = batch.map((e) => e.id)
        inFlight = new Set(sent)
        for (const id of sent) maybeDelivered.add(id)
        yield* upload(batch)
        // Acknowledged: out of the queue now, and out of storage once the
        // change is durable (a crash before that sends them again: at least once).
        const durable = commits.submit([{ remove: sent }])
        for (const id of sent) take(id)
        uploaded += batch.length
        yield* durable
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
                const asked =
                  result.failure._tag === "UploadError" ? result.failure.retryAfterMs : undefined
                const maxBackoff = runOptions.maxBackoffMs ?? 5 * 60_000
                wait = honouring(
                  jittered(failures, runOptions.retryBaseMs ?? 1000, maxBackoff),
                  asked,
                  maxBackoff,
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
      stats: Effect.sync(() => ({ queued: queue.size, uploaded, droppedSamples, summedCounters })),
    }
  })

/** Storage in memory: the queue lives as long as the process. */
export const memoryStorage = (): Storage => {
  const events = new Map<string, Telemetry.Event>()
  return {
    load: Effect.sync(() => [...events.values()]),
    add: (added) =>
      Effect.sync(() => {
        for (const event of added) events.set(event.id, event)
      }),
    remove: (ids) =>
      Effect.sync(() => {
        for (const id of ids) events.delete(id)
      }),
    replace: (next) =>
      Effect.sync(() => {
        events.clear()
        for (const event of next) events.set(event.id, event)
      }),
  }
}
