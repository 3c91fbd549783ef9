/**
 * A labelling job: a teacher labels a stream of texts, each answer is
 * appended to a JSONL cache as it arrives, and a rerun (after a kill, a
 * crash or a full run) asks only for what the cache does not hold.
 *
 * Requests are limited in number at a time (`concurrency`) and per second
 * (`requestsPerSecond`, a token bucket from `effect/persistence`'s
 * RateLimiter); failures the teacher calls retryable are retried with
 * exponential backoff and jitter, after the server's `Retry-After` when it
 * sent one (which pauses every request, not only the one that got it). An
 * item that still fails is reported in the summary and left out of the
 * cache, so the next run asks again; the job goes on.
 *
 * Items are pulled as they are needed, so memory holds the cache's keys and
 * the items in flight, not the dataset. Node only (the cache is a file).
 *
 * @example
 * ```ts
 * import { LabelJob, OpenAiTeacher } from "@edgeline/distill"
 * const teacher = OpenAiTeacher.make({ baseUrl: "http://localhost:8080/v1", model: "big", labels: ["ham", "spam"] })
 * const summary = await LabelJob.runPromise({
 *   teacher,
 *   items: [{ id: "m1", text: "Lunch at noon?" }, { id: "m2", text: "WIN a FREE cruise" }],
 *   cache: "labels.jsonl",
 *   concurrency: 4,
 *   requestsPerSecond: 5,
 *   onProgress: (p) => console.log(`${p.done}/${p.total} $${p.costUsd.toFixed(4)}`),
 * })
 * for await (const entry of LabelJob.read("labels.jsonl")) console.log(entry.id, entry.label)
 * ```
 */
import { CancelledError } from "@edgeline/core"
import {
  Clock,
  Deferred,
  Duration,
  Effect,
  Option,
  Result,
  Schedule,
  type Scope,
  Stream,
} from "effect"
import { RateLimiter } from "effect/persistence"
import * as Teacher from "../teacher/Teacher.js"
import { isRetryable, type TeacherError, TeacherRequestError } from "../teacher/TeacherErrors.js"
import type { Usage } from "../teacher/Usage.js"
import * as LabelCache from "./LabelCache.js"
import { InvalidItemError, type LabelCacheError, LabelJobError } from "./LabelJobErrors.js"

export type { Entry } from "./LabelCache.js"
export { keyOf } from "./LabelCache.js"

export interface Item {
  readonly id: string
  readonly text: string
}

export interface Progress {
  /** Items finished: labelled, cached or failed. */
  readonly done: number
  /** All items, when known (an array, or `options.total`). */
  readonly total: number | undefined
  readonly labelled: number
  readonly cached: number
  readonly failed: number
  /** Answers that were not a usable label (each was retried or counted a failure). */
  readonly malformed: number
  /** Requests sent again after a failure. */
  readonly retries: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly costUsd: number
}

export interface Failure {
  readonly id: string
  readonly error: TeacherError | InvalidItemError
}

export interface Summary {
  /** Items read. */
  readonly total: number
  /** Items the teacher labelled in this run (now in the cache). */
  readonly labelled: number
  /** Items whose answer the cache already held (also a text repeated within the run). */
  readonly cached: number
  /** Items without an answer: not in the cache, so the next run asks again. */
  readonly failed: ReadonlyArray<Failure>
  readonly malformed: number
  readonly retries: number
  /** Tokens spent in this run, malformed answers included. */
  readonly promptTokens: number
  readonly completionTokens: number
  readonly costUsd: number
  readonly durationMs: number
  /** Whether the cache's last line had been cut short (a killed run) and was dropped. */
  readonly droppedPartialLine: boolean
}

export interface Options {
  readonly teacher: Teacher.Teacher
  /** Pulled one at a time as requests free up. */
  readonly items: Iterable<Item> | AsyncIterable<Item>
  /** Path of the JSONL cache; created (with its directory) when missing. */
  readonly cache: string
  /** Requests at a time; default 4. */
  readonly concurrency?: number | undefined
  /** Most requests started per second, retries included; default no limit. */
  readonly requestsPerSecond?: number | undefined
  /** Tries per item, the first included; default 5. */
  readonly maxAttempts?: number | undefined
  /** Wait before the first retry, doubling with each (±20 % jitter); default 1000 ms. */
  readonly retryDelayMs?: number | undefined
  /** Longest wait between tries, `Retry-After` aside; default 60 000 ms. */
  readonly maxRetryDelayMs?: number | undefined
  /** The number of items, for progress, when `items` is not an array. */
  readonly total?: number | undefined
  /** Keep each text in its cache line, making the cache a dataset on its own; default false. */
  readonly storeText?: boolean | undefined
  /** Called whenever a count changes. */
  readonly onProgress?: ((progress: Progress) => void) | undefined
}

const positiveInteger = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1
const positive = (n: unknown): boolean => typeof n === "number" && Number.isFinite(n) && n > 0

/** The options with defaults, or a `LabelJobError` naming the first bad one. */
const settings = (options: Options) => {
  if (options == null) return Effect.fail(new LabelJobError({ message: "run needs options" }))
  const concurrency = options.concurrency ?? 4
  const maxAttempts = options.maxAttempts ?? 5
  const retryDelayMs = options.retryDelayMs ?? 1000
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000
  const rps = options.requestsPerSecond
  const problem =
    typeof options?.teacher?.label !== "function" || !Array.isArray(options.teacher.labels)
      ? "teacher must be a Teacher ({ id, labels, label })"
      : options.items == null ||
          (typeof (options.items as Iterable<Item>)[Symbol.iterator] !== "function" &&
            typeof (options.items as AsyncIterable<Item>)[Symbol.asyncIterator] !== "function")
        ? "items must be an Iterable or AsyncIterable of { id, text }"
        : typeof options.cache !== "string" || options.cache === ""
          ? "cache must be the path of a JSONL file"
          : !positiveInteger(concurrency)
            ? `concurrency must be an integer ≥ 1, got ${concurrency}`
            : rps !== undefined && !positive(rps)
              ? `requestsPerSecond must be a number > 0, got ${rps}`
              : !positiveInteger(maxAttempts)
                ? `maxAttempts must be an integer ≥ 1, got ${maxAttempts}`
                : !(retryDelayMs >= 0 && maxRetryDelayMs >= 0)
                  ? `retryDelayMs and maxRetryDelayMs must be ≥ 0, got ${retryDelayMs} and ${maxRetryDelayMs}`
                  : undefined
  return problem === undefined
    ? Effect.succeed({ concurrency, maxAttempts, retryDelayMs, maxRetryDelayMs, rps })
    : Effect.fail(new LabelJobError({ message: problem }))
}

/** The items as a stream pulled one by one; a failing source fails the job. */
const itemStream = (items: Options["items"]): Stream.Stream<unknown, LabelJobError> => {
  const source: AsyncIterable<unknown> =
    Symbol.asyncIterator in Object(items)
      ? (items as AsyncIterable<unknown>)
      : (async function* () {
          yield* items as Iterable<unknown>
        })()
  return Stream.fromAsyncIterable(
    source,
    (e) =>
      new LabelJobError({
        message: `reading the items failed: ${e instanceof Error ? e.message : String(e)}`,
      }),
  )
}

/** `item` as an `Item`, or why not. */
const checkItem = (item: unknown, index: number): Item | InvalidItemError => {
  const { id, text } = (item ?? {}) as { id?: unknown; text?: unknown }
  if (typeof id === "string" && typeof text === "string") return { id, text }
  return new InvalidItemError({
    index,
    message: `item ${index} is not { id: string, text: string }: id is ${typeof id}, text is ${typeof text}`,
  })
}

/** How one item ended; what a repeat of its text waiting on it ends as. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: TeacherError }

/** Runs the job; fails only when it cannot run at all (bad options, an unusable cache, a failing source). */
export const run = (options: Options): Effect.Effect<Summary, LabelJobError | LabelCacheError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* settings(options)
      const { teacher } = options
      const started = yield* Clock.currentTimeMillis
      const cache = yield* LabelCache.open(options.cache)
      const throttle = yield* throttleFor(teacher, s.rps)

      const counts = {
        total: 0,
        labelled: 0,
        cached: 0,
        malformed: 0,
        retries: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
      }
      const failed: Array<Failure> = []
      const knownTotal = Array.isArray(options.items) ? options.items.length : options.total
      const progress = (): Effect.Effect<void> =>
        options.onProgress === undefined
          ? Effect.void
          : Effect.sync(() =>
              options.onProgress?.({
                done: counts.labelled + counts.cached + failed.length,
                total: knownTotal,
                labelled: counts.labelled,
                cached: counts.cached,
                failed: failed.length,
                malformed: counts.malformed,
                retries: counts.retries,
                promptTokens: counts.promptTokens,
                completionTokens: counts.completionTokens,
                costUsd: counts.costUsd,
              }),
            )
      const spend = (usage: Usage | undefined) => {
        if (usage === undefined) return
        counts.promptTokens += usage.promptTokens
        counts.completionTokens += usage.completionTokens
        counts.costUsd += Teacher.costUsd(usage, teacher.pricing)
      }

      // A Retry-After holds back every request until then, not only the one that got it.
      let pausedUntil = 0
      const waitForPause = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        if (pausedUntil > now) yield* Effect.sleep(Duration.millis(pausedUntil - now))
      })

      const backoff = Schedule.exponential(Duration.millis(s.retryDelayMs)).pipe(
        Schedule.jittered,
        Schedule.modifyDelay(({ duration }) =>
          Effect.succeed(Duration.min(duration, Duration.millis(s.maxRetryDelayMs))),
        ),
      )

      /** One text through the teacher, retried as the error allows. */
      const ask = (text: string): Effect.Effect<Teacher.Answer, TeacherError> => {
        let attempts = 0
        const attempt = Effect.gen(function* () {
          if (attempts++ > 0) {
            counts.retries++
            yield* progress()
          }
          yield* waitForPause
          yield* throttle
          const answer = yield* Effect.suspend(() => teacher.label(text)).pipe(
            // A teacher that throws is a bug in it, but one item's failure, not the job's.
            Effect.catchDefect((defect) =>
              Effect.fail(
                new TeacherRequestError({
                  message: `teacher ${teacher.id} threw: ${defect instanceof Error ? defect.message : String(defect)}`,
                  status: undefined,
                  retryAfterMs: undefined,
                }),
              ),
            ),
          )
          return yield* Teacher.checkAnswer(teacher, answer)
        }).pipe(
          Effect.tapError((error) =>
            Effect.gen(function* () {
              if (error._tag === "TeacherAnswerError") {
                counts.malformed++
                spend(error.usage)
              }
              if (error._tag === "TeacherRequestError" && error.retryAfterMs !== undefined) {
                const now = yield* Clock.currentTimeMillis
                pausedUntil = Math.max(pausedUntil, now + error.retryAfterMs)
              }
              yield* progress()
            }),
          ),
        )
        return Effect.retry(attempt, {
          schedule: backoff,
          times: s.maxAttempts - 1,
          while: isRetryable,
        })
      }

      // Texts being labelled now: a repeat waits for the first one's outcome.
      const inFlight = new Map<string, Deferred.Deferred<Outcome>>()

      const labelItem = (raw: unknown, index: number) =>
        Effect.gen(function* () {
          counts.total++
          const item = checkItem(raw, index)
          if (item instanceof InvalidItemError) {
            const id = (raw as { id?: unknown } | null)?.id
            failed.push({ id: typeof id === "string" ? id : `#${index}`, error: item })
            return yield* progress()
          }
          const key = LabelCache.keyOf(teacher, item.text)
          const running = inFlight.get(key)
          if (running !== undefined) {
            const outcome = yield* Deferred.await(running)
            if (outcome.ok) counts.cached++
            else failed.push({ id: item.id, error: outcome.error })
            return yield* progress()
          }
          if (cache.has(key)) {
            counts.cached++
            return yield* progress()
          }
          const done = yield* Deferred.make<Outcome>()
          inFlight.set(key, done)
          const result = yield* Effect.result(ask(item.text))
          if (Result.isSuccess(result)) {
            const answer = result.success
            spend(answer.usage)
            // Written, counted and reported together: an interruption between them would
            // leave an answer in the cache that the summary (or the last progress) does not count.
            yield* Effect.uninterruptible(
              Effect.andThen(
                cache.append({
                  key,
                  id: item.id,
                  teacher: teacher.id,
                  labels: teacher.labels,
                  label: Teacher.topLabel(teacher, answer),
                  probabilities: Array.from(answer.probabilities),
                  source: answer.source,
                  usage: answer.usage,
                  time: new Date(yield* Clock.currentTimeMillis).toISOString(),
                  ...(options.storeText === true ? { text: item.text } : {}),
                }),
                Effect.andThen(
                  Effect.sync(() => {
                    counts.labelled++
                  }),
                  progress(),
                ),
              ),
            )
          } else {
            failed.push({ id: item.id, error: result.failure })
          }
          inFlight.delete(key)
          const outcome: Outcome = Result.isSuccess(result)
            ? { ok: true }
            : { ok: false, error: result.failure }
          yield* Deferred.succeed(done, outcome)
          yield* progress()
        })

      yield* progress()
      yield* itemStream(options.items).pipe(
        Stream.mapEffect(labelItem, { concurrency: s.concurrency, unordered: true }),
        Stream.runDrain,
      )
      const finished = yield* Clock.currentTimeMillis
      return {
        total: counts.total,
        labelled: counts.labelled,
        cached: counts.cached,
        failed,
        malformed: counts.malformed,
        retries: counts.retries,
        promptTokens: counts.promptTokens,
        completionTokens: counts.completionTokens,
        costUsd: counts.costUsd,
        durationMs: finished - started,
        droppedPartialLine: cache.droppedPartialLine,
      } satisfies Summary
    }),
  )

/**
 * Waits for a request slot: a token bucket of one token refilled
 * `requestsPerSecond` times a second, so requests are evenly spaced. The
 * `RateLimiter` in the context is used when there is one (several jobs, or
 * processes on a shared store, then share the limit, keyed by teacher id);
 * otherwise one in memory for this job.
 */
const throttleFor = (
  teacher: Teacher.Teacher,
  rps: number | undefined,
): Effect.Effect<Effect.Effect<void, TeacherRequestError>, never, Scope.Scope> =>
  Effect.gen(function* () {
    if (rps === undefined) return Effect.void
    const given = yield* Effect.serviceOption(RateLimiter.RateLimiter)
    const limiter = Option.isSome(given)
      ? given.value
      : yield* RateLimiter.make.pipe(Effect.provide(RateLimiter.layerStoreMemory))
    return RateLimiter.sleep(limiter, {
      key: `@edgeline/distill/LabelJob/${teacher.id}`,
      algorithm: "token-bucket",
      limit: 1,
      window: Duration.millis(1000 / rps),
    }).pipe(
      Effect.asVoid,
      Effect.mapError(
        (e) =>
          new TeacherRequestError({
            message: `the rate limiter failed: ${e.message}`,
            status: undefined,
            retryAfterMs: undefined,
          }),
      ),
    )
  })

export interface PromiseOptions extends Options {
  /** Stops the job: requests in flight are aborted, answers already cached stay. */
  readonly signal?: AbortSignal | undefined
}

/**
 * `run` as a Promise. Rejects with `LabelJobError` or `LabelCacheError`
 * when the job cannot run, with `CancelledError` when `signal` aborts it;
 * teacher failures are in the summary.
 */
export const runPromise = async (options: PromiseOptions): Promise<Summary> => {
  try {
    return await Effect.runPromise(
      run(options),
      options.signal === undefined ? undefined : { signal: options.signal },
    )
  } catch (e) {
    if (options.signal?.aborted) {
      throw new CancelledError({
        message: "the labelling job was cancelled; answers received so far are in the cache",
      })
    }
    throw e
  }
}

/**
 * The cache's entries, in file order, streamed (a killed job's cut-off last
 * line is skipped). Rejects with `LabelCacheError` when the file is missing
 * or a line is not an entry.
 */
export const read = (path: string): AsyncIterable<LabelCache.Entry> => LabelCache.entries(path)

/** `read` as an Effect stream. */
export const readStream = (path: string): Stream.Stream<LabelCache.Entry, LabelCacheError> =>
  Stream.fromAsyncIterable(LabelCache.entries(path), (e) => e as LabelCacheError)

/**
 * The cache's entries for one teacher, by key (`keyOf(teacher, text)`), as
 * a trainer looks examples up; entries of other teachers are left out.
 */
export const load = async (
  path: string,
  teacher: Pick<Teacher.Teacher, "id" | "labels">,
): Promise<Map<string, LabelCache.Entry>> => {
  const byKey = new Map<string, LabelCache.Entry>()
  const labels = JSON.stringify(teacher.labels)
  for await (const entry of LabelCache.entries(path)) {
    if (entry.teacher === teacher.id && JSON.stringify(entry.labels) === labels) {
      byKey.set(entry.key, entry)
    }
  }
  return byKey
}
