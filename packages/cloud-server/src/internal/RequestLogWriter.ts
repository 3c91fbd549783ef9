/**
 * Writes request-log entries: to a JSONL file opened for appending when the
 * server starts (so a bad path fails the start, not the first request) and
 * closed when it stops, and to the callback.
 */
import { open } from "node:fs/promises"
import { Effect, type Scope } from "effect"
import { CloudServerStartError } from "../Errors.js"
import type * as RequestLog from "../RequestLog.js"

export type Write = (entry: RequestLog.Entry) => Effect.Effect<void>

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

export const make = (
  options: RequestLog.Options | undefined,
): Effect.Effect<Write, CloudServerStartError, Scope.Scope> =>
  Effect.gen(function* () {
    const file = options?.file
    const onEntry = options?.onEntry
    const stream =
      file === undefined
        ? undefined
        : yield* Effect.acquireRelease(
            Effect.tryPromise({
              try: async () => (await open(file, "a")).createWriteStream(),
              catch: (cause) =>
                new CloudServerStartError({
                  message: `cannot open the request log ${file}: ${messageOf(cause)}`,
                  cause,
                }),
            }),
            (stream) =>
              Effect.callback<void>((resume) => void stream.end(() => resume(Effect.void))),
          )
    // A failing log must not fail requests: the first failure is logged as a warning.
    let failure: string | undefined
    let warned = false
    stream?.on("error", (e) => {
      failure ??= `writing ${file} failed: ${messageOf(e)}`
    })
    return (entry) =>
      Effect.suspend(() => {
        stream?.write(`${JSON.stringify(entry)}\n`)
        try {
          onEntry?.(entry)
        } catch (e) {
          failure ??= `the onEntry callback failed: ${messageOf(e)}`
        }
        if (failure === undefined || warned) return Effect.void
        warned = true
        return Effect.logWarning(`request log: ${failure}`)
      })
  })
