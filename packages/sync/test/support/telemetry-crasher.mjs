/**
 * The child the telemetry crash test kills:
 *
 *   node telemetry-crasher.mjs <outbox file> <endpoint> <todo file> <seed> [final]
 *
 * does what a device's telemetry does: records the events whose numbers
 * the todo file lists (a JSON array; see telemetry-events.mjs) through an
 * outbox on the file, in bursts of concurrent records with pauses between
 * them, while the outbox uploads to `endpoint` in the background, until
 * killed. With `final`, it records the list, then flushes until the queue
 * is empty and exits 0.
 *
 * It prints, on stdout (synchronous on a pipe on Linux, so a printed line
 * reached the parent even if the kill follows at once):
 *   ready <queued>   the outbox is open, holding <queued> events from before
 *   ok <n>           `record` of event n returned: it is durable
 *   recorded         every listed event was recorded
 *   upload <how>     an upload attempt ended: `ok`, an HTTP status, or `error`
 *                    (anything but ok: the batch will be sent again)
 *   flushed          (final) the queue is empty
 */
import { readFileSync } from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { Outbox } from "@edgeline/sync"
import { OutboxFile } from "@edgeline/sync/node"
import { Effect, Exit, Scope } from "effect"
import { random } from "./random.mjs"
import { inputOf, TOKEN, TOTAL } from "./telemetry-events.mjs"

const [queueFile, endpoint, todoFile, seedText, mode] = process.argv.slice(2)
const final = mode === "final"
const next = random(Number(seedText))
const say = (line) => process.stdout.write(`${line}\n`)
const run = (effect) => Effect.runPromise(effect)
const todo = JSON.parse(readFileSync(todoFile, "utf8"))

// Node's own fetch, reporting how each attempt ended so the parent can count retried batches.
const reporting = async (url, init) => {
  try {
    const response = await fetch(url, init)
    say(`upload ${response.ok ? "ok" : response.status}`)
    return response
  } catch (e) {
    say("upload error")
    throw e
  }
}

const scope = await run(Scope.make())
const storage = await run(Scope.provide(scope)(OutboxFile.make(queueFile)))
const outbox = await run(
  Outbox.make({
    endpoint,
    token: TOKEN,
    deviceId: "crash-device",
    storage,
    // As many as the whole run records: the queue is never full, so nothing
    // is dropped or summed, and every event must reach the server as recorded.
    capacity: TOTAL,
    batchSize: 250,
    timeoutMs: 1000,
    fetch: reporting,
  }),
)
say(`ready ${(await run(outbox.stats)).queued}`)
if (!final) {
  await run(
    Scope.provide(scope)(outbox.run({ intervalMs: 20, retryBaseMs: 50, maxBackoffMs: 400 })),
  )
}

let at = 0
while (at < todo.length) {
  const burst = todo.slice(at, at + 1 + Math.floor(next() * 40))
  at += burst.length
  await run(
    Effect.forEach(
      burst,
      (n) =>
        Effect.andThen(
          outbox.telemetry.record(inputOf(n)),
          Effect.sync(() => say(`ok ${n}`)),
        ),
      { concurrency: "unbounded", discard: true },
    ),
  )
  await sleep(Math.floor(next() * 12))
}
say("recorded")

if (final) {
  while ((await run(outbox.stats)).queued > 0) {
    const flushed = await run(Effect.exit(outbox.flush))
    if (Exit.isFailure(flushed)) await sleep(50)
  }
  say("flushed")
  await run(Scope.close(scope, Exit.void))
  process.exit(0)
}
// Otherwise the outbox keeps uploading in the background until the kill.
