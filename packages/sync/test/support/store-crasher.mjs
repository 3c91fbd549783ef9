/**
 * The child the kill -9 test kills: `node store-crasher.mjs <directory> <seed>`
 * does what a device's sync does to its store, in a loop, until killed:
 * chunks written (some through partial appends, as a resumed download
 * would, some partials left behind), now and then a model refused for a
 * wrong hash, a model assembled, a state naming it committed, garbage
 * collected. Before each operation it prints `op <name>`, and after each
 * commit returns `committed <n>` (stdout on a pipe is synchronous on Linux,
 * so a printed line reached the parent even if the kill follows at once).
 * The state's channel "kill" carries n, so the parent can tell which
 * commit the store holds. It exits 3 if the store hands back bytes that
 * are not what was written.
 */
import { createHash } from "node:crypto"
import { FileStore } from "@edgeline/sync/node"
import { CHUNK_IDS, chunkBytes, random } from "./store-content.mjs"

const [directory, seedText] = process.argv.slice(2)
const next = random(Number(seedText))
const say = (line) => process.stdout.write(`${line}\n`)
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex")
const wrong = (what) => {
  say(`garbage ${what}`)
  process.exit(3)
}
const same = (a, b) => a.length === b.length && Buffer.compare(a, b) === 0

const store = await FileStore.open(directory)
let state = await store.state()
let n = state.channels.kill?.accepted ?? 0
say(`ready ${n}`)

while (true) {
  const name = next() < 0.5 ? "alpha" : "beta"
  const ids = Array.from({ length: 3 + Math.floor(next() * 18) }, () =>
    Math.floor(next() * CHUNK_IDS),
  )
  const chunks = ids.map((id) => {
    const bytes = chunkBytes(id)
    return { id, bytes, sha: sha256(bytes) }
  })

  say("op chunks")
  for (const chunk of chunks) {
    if (await store.hasChunk(chunk.sha)) continue
    if (next() < 0.3) {
      // A download cut and resumed: what is there must be a prefix of the chunk.
      say("op partial")
      const have = (await store.readPartial(chunk.sha)) ?? new Uint8Array()
      if (have.length > chunk.bytes.length || !same(have, chunk.bytes.subarray(0, have.length))) {
        wrong(`partial ${chunk.sha}`)
      }
      let at = have.length
      while (at < chunk.bytes.length) {
        const end = Math.min(chunk.bytes.length, at + 1 + Math.floor(next() * 96 * 1024))
        await store.appendPartial(chunk.sha, chunk.bytes.subarray(at, end))
        at = end
      }
      const whole = await store.readPartial(chunk.sha)
      if (whole === undefined || !same(whole, chunk.bytes)) wrong(`partial ${chunk.sha}`)
      say("op chunks")
      await store.writeChunk(chunk.sha, whole)
      await store.dropPartial(chunk.sha)
    } else {
      await store.writeChunk(chunk.sha, chunk.bytes)
    }
  }
  if (next() < 0.3) {
    // A download cut for good: a stale partial for collect to find.
    say("op partial")
    const stale = chunkBytes(Math.floor(next() * CHUNK_IDS))
    const staleSha = sha256(stale)
    if (!(await store.hasChunk(staleSha)) && (await store.readPartial(staleSha)) === undefined) {
      await store.appendPartial(staleSha, stale.subarray(0, 1 + Math.floor(next() * 8192)))
    }
  }

  const model = createHash("sha256")
  let size = 0
  for (const chunk of chunks) {
    model.update(chunk.bytes)
    size += chunk.bytes.length
  }
  const modelSha = model.digest("hex")
  const shas = chunks.map((chunk) => chunk.sha)
  if (next() < 0.15) {
    say("op refused-model")
    const refused = await store.writeModel(sha256(Buffer.from(`not ${modelSha}`)), shas).then(
      () => false,
      (e) => e._tag === "StoreError",
    )
    if (!refused) wrong("a model with the wrong hash was accepted")
  }
  say("op model")
  await store.writeModel(modelSha, shas)
  const read = await store.readModel(modelSha)
  if (read === undefined || sha256(read) !== modelSha) wrong(`model ${modelSha}`)

  n += 1
  const previous = state.models[name]?.active
  const installed = {
    version: `1.0.${n}`,
    sha256: modelSha,
    size,
    activated: new Date().toISOString(),
  }
  const committing = {
    models: {
      ...state.models,
      [name]: previous === undefined ? { active: installed } : { active: installed, previous },
    },
    channels: { ...state.channels, kill: { accepted: n, etag: `"${modelSha.slice(0, 16)}"` } },
  }
  say(`op commit ${n}`)
  await store.commit(committing)
  say(`committed ${n}`)
  state = committing

  say("op collect")
  await store.collect(new Set(shas))
}
