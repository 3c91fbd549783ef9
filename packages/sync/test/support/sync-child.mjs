/**
 * The device the kill-mid-sync test kills: `node sync-child.mjs <store
 * directory> <registry url> <channel> <trusted public key, JSON> <model>`
 * opens a file store there and keeps `model` current with a real
 * `SyncClient` (the built package), checking until a check finds nothing
 * new; then it prints `idle <version>` and exits 0.
 *
 * On the way it prints `ready <version>` once the client runs, `op <name>`
 * before each store operation and `status <tag>` for each client status,
 * so the parent can aim its kill (stdout on a pipe is synchronous on
 * Linux: a printed line reached the parent even if the kill follows at
 * once). A check that fails over the network (`failed <tag>`) is retried;
 * any other failure exits 2.
 */
import { SyncClient } from "@edgeline/sync"
import { FileStore } from "@edgeline/sync/node"
import { Effect, Result } from "effect"

const [directory, registry, channel, key, model] = process.argv.slice(2)
const say = (line) => process.stdout.write(`${line}\n`)

const OPERATIONS = [
  "hasChunk",
  "writeChunk",
  "readChunk",
  "readPartial",
  "appendPartial",
  "dropPartial",
  "writeModel",
  "hasModel",
  "readModel",
  "commit",
  "collect",
]
/** Network trouble: the client retries it at the next check. */
const RETRIED = ["DownloadError", "IntegrityError"]

const device = Effect.gen(function* () {
  const opened = yield* FileStore.make(directory)
  const store = { ...opened }
  for (const name of OPERATIONS) {
    store[name] = (...args) =>
      Effect.andThen(
        Effect.sync(() => say(`op ${name}`)),
        opened[name](...args),
      )
  }
  const client = yield* SyncClient.make(
    {
      registry,
      channel,
      trusted: [JSON.parse(key)],
      deviceId: "device-killed",
      retryBaseMs: 5,
      onStatus: (status) => say(`status ${status._tag}`),
    },
    store,
  )
  const active = Effect.map(client.state, (state) => state.models[model]?.active.version)
  say(`ready ${(yield* active) ?? "none"}`)
  // Names the model (the client keeps it current); a first download may fail and is retried below.
  yield* Effect.ignore(client.ensure(model, "local-or-latest"))
  while (true) {
    const checked = yield* Effect.result(client.check)
    if (Result.isSuccess(checked)) {
      if (checked.success.activated.length === 0) break
      continue
    }
    say(`failed ${checked.failure._tag}: ${checked.failure.message}`)
    if (!RETRIED.includes(checked.failure._tag)) process.exit(2)
  }
  say(`idle ${yield* active}`)
})

await Effect.runPromise(Effect.scoped(device))
